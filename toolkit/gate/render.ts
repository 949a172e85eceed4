// Renderers over one GateReport: a table for people, Markdown for $GITHUB_STEP_SUMMARY, JUnit with one test case
// per check, JSON for machines. They only format; every number comes from the report.
import { fmtPct, fmtRps, textTable } from '../report/format.ts';
import { escapeXml as esc } from '../report/svg.ts';
import type { GateCheck } from './checks.ts';
import type { GateReport } from './run.ts';

const MARK: Record<GateCheck['status'], string> = { pass: 'PASS', fail: 'FAIL', inconclusive: '????', warn: 'WARN' };
const EMOJI: Record<GateCheck['status'], string> = { pass: '✅', fail: '❌', inconclusive: '❔', warn: '⚠️' };
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

function loadLine(r: GateReport): string {
  const l = r.load;
  const shape = l.model === 'open' ? `open model, ${l.rate} req/s` : `closed model, ${l.vus} VUs`;
  return `${l.scenario}: ${shape}, ${l.durationSec.toFixed(0)}s per run`;
}

function levelRows(r: GateReport): string[][] {
  return r.levels.map((l) => [
    `${l.trusted ? '' : '! '}${l.replicas}`,
    fmtRps(l.rps),
    l.p95.toFixed(1),
    fmtPct(l.errorRate),
    l.efficiency === null ? '–' : l.efficiency.toFixed(2),
  ]);
}

function regressionLines(r: GateReport): string[] {
  const g = r.regression;
  if (!g) return [];
  const j = g.judgement;
  const lines = [
    `regression (${g.mode}, ${g.metric}): baseline median ${j.baseline.median.toFixed(1)} (n=${j.baseline.n}), ` +
      `candidate ${j.candidate.median.toFixed(1)} (n=${j.candidate.n})`,
    `  change ${pct(j.change)}, ${Math.round(j.confidence * 100)}% CI [${pct(j.changeLo)}, ${pct(j.changeHi)}], ` +
      `${j.test} ${j.paired ? 'W+' : 'U'}=${j.statistic} p=${j.pValue.toPrecision(2)} → ${j.verdict.toUpperCase()}`,
  ];
  if (g.rounds.length > 1) {
    lines.push(
      `  rounds: ${g.rounds.map((x) => `${x.round}: ${x.verdict} ${pct(x.change)} [${pct(x.changeLo)}, ${pct(x.changeHi)}]`).join('; ')}`,
    );
  }
  return lines;
}

export function renderGateTerminal(r: GateReport): string {
  const out = [`Gate ${r.runId} (${r.configFile}) — ${loadLine(r)}`, ''];
  out.push(textTable(['replicas', 'req/s', 'p95 ms', 'errors', 'eff'], levelRows(r), new Set([0, 1, 2, 3, 4])), '');
  out.push(
    textTable(
      ['', 'check', 'expected', 'got'],
      r.checks.map((c) => [MARK[c.status], c.name, c.expected, c.got]),
    ),
  );
  const reg = regressionLines(r);
  if (reg.length) out.push('', ...reg);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  const n = (status: string) => r.checks.filter((c) => c.status === status).length;
  const tally = `${n('pass')} passed, ${n('warn')} warning(s), ${n('inconclusive')} inconclusive, ${n('fail')} failed`;
  out.push('', `GATE ${r.verdict.toUpperCase()}: ${tally} (exit ${r.exitCode})`);
  return out.join('\n');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderGateMarkdown(r: GateReport): string {
  const icon = r.verdict === 'pass' ? '✅' : r.verdict === 'fail' ? '❌' : '❔';
  const out = [
    `## ${icon} Performance gate: ${r.verdict.toUpperCase()}`,
    '',
    `**${cell(loadLine(r))}** · run \`${r.runId}\``,
    '',
  ];
  if (r.warnings.length) {
    out.push('> [!WARNING]');
    for (const w of r.warnings) out.push(`> ${cell(w)}`);
    out.push('');
  }
  out.push('| replicas | req/s | p95 ms | errors | efficiency |', '|--:|--:|--:|--:|--:|');
  for (const row of levelRows(r)) out.push(`| ${row.map(cell).join(' | ')} |`);
  out.push('', '| | check | expected | got |', '|:-:|:--|:--|:--|');
  for (const c of r.checks) out.push(`| ${EMOJI[c.status]} | ${cell(c.name)} | ${cell(c.expected)} | ${cell(c.got)} |`);
  const reg = regressionLines(r);
  if (reg.length) out.push('', '```', ...reg, '```');
  out.push('');
  return out.join('\n');
}

/** One test case per check; inconclusive ones are skipped (with the reason), warnings pass with a note. */
export function renderGateJunit(r: GateReport): string {
  const failures = r.checks.filter((c) => c.status === 'fail').length;
  const skipped = r.checks.filter((c) => c.status === 'inconclusive').length;
  const cases = r.checks.map((c) => {
    const open = `    <testcase classname="toolkit.gate.${c.kind}" name="${esc(c.name)}" time="0"`;
    const message = `expected ${c.expected}, got ${c.got}`;
    if (c.status === 'pass') return `${open}/>`;
    const body =
      c.status === 'fail'
        ? `<failure message="${esc(message)}" type="GateFailed">${esc(message)}</failure>`
        : c.status === 'inconclusive'
          ? `<skipped message="${esc(`inconclusive: ${c.got}`)}"/>`
          : `<system-out>${esc(`warning: ${message}`)}</system-out>`;
    return `${open}>\n      ${body}\n    </testcase>`;
  });
  const props = r.warnings.length
    ? `    <properties>\n${r.warnings.map((w) => `      <property name="warning" value="${esc(w)}"/>`).join('\n')}\n    </properties>\n`
    : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="toolkit gate" tests="${r.checks.length}" failures="${failures}" errors="0">
  <testsuite name="${esc(`toolkit gate ${r.runId}`)}" tests="${r.checks.length}" failures="${failures}" errors="0" skipped="${skipped}">
${props}${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}

export function renderGateJson(r: GateReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
