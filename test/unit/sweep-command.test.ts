import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandIO } from '../../toolkit/commands/io.ts';
import { sweepCommand } from '../../toolkit/commands/sweep.ts';
import { UsageError } from '../../toolkit/errors.ts';
import { silentProgress } from '../../toolkit/progress.ts';
import { fakeDeps } from '../fixtures/sweep/fakes.ts';

let cwd: string;
let out: string[];
let io: CommandIO;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'sweep-cmd-'));
  out = [];
  io = {
    cwd,
    env: {},
    out: (t) => out.push(t),
    progress: silentProgress,
    docker: () => Promise.reject(new Error('the fake deps need no Docker')),
  };
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('toolkit sweep', () => {
  it('runs the sweep, writes every report, prints the table and restores the replica count', async () => {
    const deps = { ...fakeDeps({ warmup: '5s' }), initialReplicas: 2 };
    let seenLoad: unknown;
    await sweepCommand(
      { replicas: '1,2,3,4,5,6', repeat: '3', warmup: '5s', slo: 'p(95)<250', users: '32', duration: '20s' },
      io,
      async (spec) => {
        expect(spec.project).toBe('toolkit');
        return {
          ...deps,
          loadtest: (o) => {
            seenLoad = o;
            return deps.loadtest(o);
          },
        };
      },
    );
    const [runId] = readdirSync(join(cwd, 'results'));
    const dir = join(cwd, 'results', runId);
    for (const f of ['sweep.json', 'report.json', 'report.md', 'report.html', 'junit.xml']) {
      expect(existsSync(join(dir, f))).toBe(true);
    }
    expect(seenLoad).toMatchObject({
      scenario: 'predict',
      users: 32,
      duration: '20s',
      baseUrl: 'http://127.0.0.1:8000',
      resultsDir: join('results', runId, 'runs'),
    });
    expect(out[0]).toMatch(/^Scaling sweep sweep-/);
    expect(out[0]).toMatch(/Recommendation: 4 replicas/);
    // Back to the two replicas the stack had before.
    expect(deps.calls.filter((c) => c.startsWith('scale')).slice(-2)).toEqual(['scale 6', 'scale 2']);
  });

  it('prints the report model as JSON', async () => {
    await sweepCommand({ replicas: '1,2,3', repeat: '2', json: true }, io, async () => fakeDeps({ warmup: '5s' }));
    const printed = JSON.parse(out[0]);
    expect(printed.kind).toBe('sweep');
    expect(printed.levels).toHaveLength(3);
    expect(printed.files.junit).toMatch(/junit\.xml$/);
  });

  it.each([
    [{ replicas: '3,1' }, /out of order/],
    [{ replicas: '1,40' }, /above the maximum of 32/],
    [{ replicas: '' }, /empty/],
    [{ repeat: '0' }, /--repeat/],
    [{ warmup: 'later' }, /--warmup/],
    [{ slo: 'p95<300' }, /--slo/],
    [{ users: 'many' }, /--users/],
    [{ scenario: 'nope' }, /unknown scenario/],
  ])('rejects %j before building anything', async (flags, message) => {
    let built = false;
    const err = await sweepCommand(flags, io, async () => {
      built = true;
      return fakeDeps();
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    expect(built).toBe(false);
    expect(existsSync(join(cwd, 'results'))).toBe(false);
  });
});
