// Every renderer over the same recorded sweep (test/fixtures/sweep/sweep.json): structure, not colours.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  modelFromLoadtest,
  modelFromSweep,
  renderHtml,
  renderJson,
  renderJunit,
  renderMarkdown,
  renderTerminal,
} from '../../toolkit/report/index.ts';
import type { LoadtestResult, SweepResult } from '../../toolkit/sweep/types.ts';

const sweep = JSON.parse(readFileSync(new URL('../fixtures/sweep/sweep.json', import.meta.url), 'utf8')) as SweepResult;
const single = JSON.parse(
  readFileSync(new URL('../fixtures/sweep/loadtest-single.json', import.meta.url), 'utf8'),
) as LoadtestResult;
const model = modelFromSweep(sweep);
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes is the point
const ANSI = /\u001b\[/;

describe('terminal', () => {
  const text = renderTerminal(model);
  const rows = text.split('\n').filter((l) => /^\s*!?\s*\d+\s{2}/.test(l) && l.includes('('));

  it('has a row per count with the median and range, marking the untrusted one', () => {
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatch(/^\s+1\s+181\.8 \(176\.4–185\.4\)/);
    expect(rows[4]).toMatch(/^\s*! 5\s/);
    expect(rows.filter((r) => r.includes('! '))).toHaveLength(1);
    expect(rows[0]).toMatch(/MISSED$/);
  });

  it('charts throughput, states the fit and recommendation, lists failed checks and the untrusted footnote', () => {
    expect(text.split('\n').filter((l) => /^\s+\d │[█─┊ ]+│ \d/.test(l))).toHaveLength(6);
    expect(text).toMatch(
      /USL fit: σ=0\.09\d+\s+κ=0\.04\d+\s+λ=179\.0 req\/s\s+R²=0\.99\d\s+peak throughput at N ≈ 4\.7/,
    );
    expect(text).toMatch(/^Recommendation: 4 replicas: 409 req\/s/m);
    expect(text).toMatch(/Checks: 17 passed, 2 failed/);
    expect(text).toMatch(/✗ objective p\(95\)<250 at 1 replica\(s\): expected p\(95\)<250, got p95=295\.7ms/);
    expect(text).toMatch(/! UNTRUSTED measurements[\s\S]*! 5 replica\(s\): k6 used 97% CPU/);
    expect(text).not.toMatch(ANSI);
  });

  it('renders a single load test without a fit', () => {
    const t = renderTerminal(modelFromLoadtest(single));
    expect(t).toMatch(/^Load test lt-3-1/);
    expect(t).toMatch(/run `toolkit sweep` for a scaling model/);
    expect(t).not.toMatch(/UNTRUSTED/);
  });
});

describe('markdown', () => {
  const md = renderMarkdown(model);
  const lines = md.split('\n');

  it('is a GitHub table with one row per count and a warning for the untrusted one', () => {
    const header = lines.findIndex((l) => l.startsWith('| replicas |'));
    expect(lines[header + 1]).toMatch(/^\|:--\|(--:\|)+$/);
    const body = lines.slice(header + 2, header + 8);
    expect(body.every((l) => l.startsWith('| ') && l.split(' | ').length === 11)).toBe(true);
    expect(body[4]).toMatch(/^\| 5 ⚠ untrusted \|/);
    expect(md).toMatch(/> \[!WARNING\]\n> \*\*Untrusted measurements\*\*.*\n> - 5 replica\(s\): k6 used 97% CPU/);
    expect(md).toMatch(/\*\*Recommended: 4 replica\(s\)\.\*\*/);
  });

  it('carries the fit, a mermaid chart and every check', () => {
    expect(md).toMatch(/\*\*USL fit:\*\* σ = 0\.09\d+, κ = 0\.04\d+/);
    expect(md).toMatch(/```mermaid\nxychart-beta\n[\s\S]*bar \[181\.8, 302\.0, 375\.0, 408\.5, 413\.2, 396\.0\]/);
    expect(lines.filter((l) => /^\| (✅|❌) \|/.test(l))).toHaveLength(model.checks.length);
  });
});

describe('json', () => {
  it('round-trips the model', () => {
    const parsed = JSON.parse(renderJson(model));
    expect(parsed).toEqual(JSON.parse(JSON.stringify(model)));
    expect(parsed.trusted).toBe(false);
    expect(parsed.untrusted).toEqual(['5 replica(s): k6 used 97% CPU; host idle 2% < 10%']);
    expect(parsed.usl.peakN).toBeCloseTo(4.7, 1);
  });
});

describe('junit', () => {
  const xml = renderJunit(model);

  it('has one test case per check, failures where checks failed', () => {
    const cases = xml.match(/<testcase /g) ?? [];
    const failures = xml.match(/<failure /g) ?? [];
    expect(cases).toHaveLength(model.checks.length);
    expect(failures).toHaveLength(model.checks.filter((c) => !c.ok).length);
    expect(xml).toMatch(new RegExp(`<testsuites name="toolkit" tests="${model.checks.length}" failures="2"`));
    expect(xml).toMatch(
      /name="objective p\(95\)&lt;250 at 1 replica\(s\)"[^>]*>\s*<failure message="expected p\(95\)&lt;250, got p95=295\.7ms"/,
    );
  });

  it('marks untrusted measurements and escapes every attribute', () => {
    expect(xml).toMatch(/<property name="untrusted" value="5 replica\(s\): k6 used 97% CPU; host idle 2% &lt; 10%"\/>/);
    for (const attr of xml.match(/="[^"]*"/g) ?? []) expect(attr).not.toMatch(/[<>]/);
  });
});

describe('html', () => {
  const html = renderHtml(model);

  it('is self-contained: no external scripts, styles, images or fonts', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]*\ssrc=/);
    expect(html).not.toMatch(/<link[^>]*stylesheet/);
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).not.toMatch(/url\(/);
  });

  it('has the three charts, each an SVG with its data', () => {
    for (const id of ['chart-throughput', 'chart-latency', 'chart-distribution']) {
      expect(html).toMatch(new RegExp(`<figure class="chart" id="${id}">.*?<svg [^>]*viewBox="0 0 640 320"`, 's'));
    }
    const throughput = html.match(/id="chart-throughput">(.*?)<\/figure>/s)![1];
    expect(throughput.match(/data-series="measured median/g)).toHaveLength(1);
    expect(throughput).toMatch(/data-series="USL fit"/);
    expect(throughput).toMatch(/data-series="linear ideal"/);
    expect(throughput.match(/class="whisker"/g)).toHaveLength(6);
    expect(throughput.match(/class="flag"/g)).toHaveLength(1);
    expect(throughput).toMatch(/recommended: 4/);
    const latency = html.match(/id="chart-latency">(.*?)<\/figure>/s)![1];
    for (const p of ['p50', 'p90', 'p95', 'p99']) expect(latency).toMatch(new RegExp(`data-series="${p}"`));
    expect(latency).toMatch(/objective p95 &lt; 250 ms/);
    const dist = html.match(/id="chart-distribution">(.*?)<\/figure>/s)![1];
    expect(dist.match(/class="bar"/g)).toHaveLength(1 + 2 + 3 + 4 + 5 + 6);
    expect(dist.match(/class="reference"/g)).toHaveLength(6);
  });

  it('marks the untrusted count in the banner and the table, and embeds the model', () => {
    expect(html).toMatch(
      /class="banner untrusted-banner" role="alert">.*5 replica\(s\): k6 used 97% CPU; host idle 2% &lt; 10%/s,
    );
    expect(html.match(/<tr class="untrusted">/g)).toHaveLength(1);
    expect(html).toMatch(/<tr class="untrusted"><td>5<span class="badge"/);
    const data = html.match(/<script type="application\/json" id="report-data">(.*?)<\/script>/s)![1];
    expect(JSON.parse(data).runId).toBe('sweep-fixture');
  });

  it('escapes text that came from the run', () => {
    const evil = modelFromSweep({ ...sweep, runId: '<img src=x onerror=alert(1)>' });
    const out = renderHtml(evil);
    expect(out).not.toContain('<img src=x');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
