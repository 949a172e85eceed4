// junit.xml: one test case per check, so CI systems that read JUnit show each objective, error rate and generator
// check as its own pass or failure.
import type { ReportModel } from './model.ts';
import { escapeXml as esc } from './svg.ts';

export function renderJunit(m: ReportModel): string {
  const failures = m.checks.filter((c) => !c.ok).length;
  const suite = `toolkit ${m.kind} ${m.runId}`;
  const cases = m.checks.map((c) => {
    const open = `    <testcase classname="${esc(`toolkit.${m.kind}`)}" name="${esc(c.name)}" time="0"`;
    if (c.ok) return `${open}/>`;
    const message = `expected ${c.expected}, got ${c.got}`;
    return `${open}>\n      <failure message="${esc(message)}" type="CheckFailed">${esc(message)}</failure>\n    </testcase>`;
  });
  const props = m.untrusted.length
    ? `    <properties>\n${m.untrusted.map((u) => `      <property name="untrusted" value="${esc(u)}"/>`).join('\n')}\n    </properties>\n`
    : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="toolkit" tests="${m.checks.length}" failures="${failures}" errors="0">
  <testsuite name="${esc(suite)}" tests="${m.checks.length}" failures="${failures}" errors="0" skipped="0"${m.finishedAt ? ` timestamp="${esc(m.finishedAt)}"` : ''}>
${props}${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}
