import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandIO } from '../../toolkit/commands/io.ts';
import { reportCommand } from '../../toolkit/commands/report.ts';
import { UsageError } from '../../toolkit/errors.ts';
import { silentProgress } from '../../toolkit/progress.ts';

const FIXTURES = new URL('../fixtures/sweep/', import.meta.url).pathname;
let cwd: string;
let out: string[];
let io: CommandIO;

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'report-cmd-'));
  out = [];
  io = {
    cwd,
    env: {},
    out: (t) => out.push(t),
    progress: silentProgress,
    docker: () => Promise.reject(new Error('report must not need Docker')),
  };
  const sweepDir = join(cwd, 'results', 'sweep-fixture');
  mkdirSync(sweepDir, { recursive: true });
  cpSync(join(FIXTURES, 'sweep.json'), join(sweepDir, 'sweep.json'));
  const ltDir = join(cwd, 'results', '20250102-030405-abcd');
  mkdirSync(ltDir, { recursive: true });
  cpSync(join(FIXTURES, 'loadtest-single.json'), join(ltDir, 'result.json'));
  // The load test is the older run.
  utimesSync(join(ltDir, 'result.json'), new Date('2025-01-01'), new Date('2025-01-01'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('toolkit report', () => {
  it('re-renders a sweep from its directory', async () => {
    await reportCommand('sweep-fixture', {}, io);
    const dir = join(cwd, 'results', 'sweep-fixture');
    for (const f of ['report.json', 'report.md', 'report.html', 'junit.xml'])
      expect(existsSync(join(dir, f))).toBe(true);
    expect(out[0]).toMatch(/^Scaling sweep sweep-fixture/);
    expect(out[1]).toContain(join(dir, 'report.html'));
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).recommendation.replicas).toBe(4);
  });

  it('takes the latest run when no id is given, and prints JSON on request', async () => {
    await reportCommand(undefined, { json: true }, io);
    const printed = JSON.parse(out[0]);
    expect(printed.runId).toBe('sweep-fixture');
    expect(printed.files.html).toMatch(/report\.html$/);
  });

  it('renders a single load test', async () => {
    await reportCommand('20250102-030405-abcd', {}, io);
    expect(out[0]).toMatch(/^Load test lt-3-1/);
  });

  it('compares two runs', async () => {
    await reportCommand(undefined, { compare: ['sweep-fixture', '20250102-030405-abcd'] }, io);
    expect(out[0]).toMatch(/^A: Scaling sweep sweep-fixture\nB: Load test lt-3-1/);
    out.length = 0;
    await reportCommand('sweep-fixture', { compare: ['20250102-030405-abcd'], json: true }, io);
    expect(JSON.parse(out[0]).rows.find((r: { replicas: number }) => r.replicas === 3).b.rps).toBe(375);
  });

  it.each([
    ['nope', {}, /no run 'nope'.*results/],
    ['../etc', {}, /run id '\.\.\/etc' is not valid/],
    [undefined, { compare: ['sweep-fixture'] }, /exactly two run ids, got 1/],
    [undefined, { compare: ['a', 'b', 'c'] }, /exactly two run ids, got 3/],
    [undefined, { compare: ['sweep-fixture', 'sweep-fixture'] }, /both run ids are sweep-fixture/],
  ])('rejects %j %j', async (id, opts, message) => {
    const err = await reportCommand(id, opts, io).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
  });

  it('explains an empty results directory and a run without a record', async () => {
    const err = await reportCommand(undefined, { resultsDir: 'elsewhere' }, io).catch((e: unknown) => e);
    expect((err as UsageError).message).toMatch(/no recorded runs/);
    mkdirSync(join(cwd, 'results', 'broken'));
    const err2 = await reportCommand('broken', {}, io).catch((e: unknown) => e);
    expect((err2 as UsageError).message).toMatch(/neither sweep\.json nor result\.json/);
    expect((err2 as UsageError).hint).toMatch(/failed before it recorded/);
  });
});
