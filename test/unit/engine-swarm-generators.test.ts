// Generators as Swarm tasks, the parts that need no swarm: the real entrypoint (docker/k6-task.sh, run by sh with
// a stand-in `k6` on PATH) frames k6's files on stdout and the parser gets the same bytes back; broken framing is
// reported rather than half-read; the logs API's multiplexing is undone; each generator service carries its own segment.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { demuxStdout, parseTaskOutput } from '../../toolkit/engine/swarm/generators-frames.ts';
import {
  GENERATOR_LABEL,
  generatorJobSpec,
  generatorServiceName,
  RUN_LABEL,
  taskK6Args,
} from '../../toolkit/engine/swarm/generators-spec.ts';
import { listFiles } from '../../toolkit/images/content-hash.ts';
import { k6VersionTag, stageK6Context } from '../../toolkit/images/k6-image.ts';
import { executionSegments } from '../../toolkit/load/k6-args.ts';
import { validateOptions } from '../../toolkit/load/validate.ts';

const ENTRYPOINT = resolve(import.meta.dirname, '../../docker/k6-task.sh');
const tmp = mkdtempSync(join(tmpdir(), 'k6-task-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the entrypoint with a fake k6 that writes the given files and exits with `code`. */
async function runEntrypoint(name: string, files: Record<string, Buffer>, code: number) {
  const dir = join(tmp, name);
  const bin = join(dir, 'bin');
  const out = join(dir, 'out');
  const src = join(dir, 'src');
  const setup = Object.keys(files)
    .map((f) => `cp '${join(src, f)}' "$K6_TASK_OUT/${f}"`)
    .join('\n');
  await promisify(execFile)('mkdir', ['-p', bin, src]);
  for (const [f, data] of Object.entries(files)) writeFileSync(join(src, f), data);
  writeFileSync(join(bin, 'k6'), `#!/bin/sh\necho "args: $*"\necho "a log line" >&2\n${setup}\nexit ${code}\n`);
  chmodSync(join(bin, 'k6'), 0o755);
  const env = { PATH: `${bin}:/usr/bin:/bin`, K6_TASK_OUT: out, K6_TASK_CONFIG: join(dir, 'cfg.json') };
  try {
    const { stdout } = await promisify(execFile)('sh', [ENTRYPOINT, 'run', 'x.ts'], { env, maxBuffer: 2 ** 26 });
    return { stdout, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; code: number };
    return { stdout: e.stdout, code: e.code };
  }
}

describe('docker/k6-task.sh framing, read back by parseTaskOutput', () => {
  it('returns every file byte for byte, k6 output included, and the exit status', async () => {
    const summary = Buffer.from(JSON.stringify({ metrics: { http_reqs: { values: { count: 7 } } } }));
    // Already gzipped, like k6's CSV output: passed through as it is, and large enough to span many base64 lines.
    const csv = gzipSync(Buffer.from(`metric_name,timestamp,metric_value\n${'http_reqs,1,1\n'.repeat(20_000)}`));
    const run = await runEntrypoint('ok', { 'summary.json': summary, 'timeseries.csv.gz': csv }, 99);
    expect(run.code).toBe(99);
    const out = parseTaskOutput(run.stdout);
    expect(out.problems).toEqual([]);
    expect(out.exitCode).toBe(99);
    expect(out.files.get('summary.json')?.equals(summary)).toBe(true);
    expect(out.files.get('timeseries.csv.gz')?.equals(csv)).toBe(true);
    expect(out.files.get('k6-stdout.txt')?.toString()).toBe('args: run x.ts\n');
    expect(out.files.get('k6.log')?.toString()).toBe('a log line\n');
  });

  it('reports a k6 that left no files: exit status only', async () => {
    const run = await runEntrypoint('nofiles', {}, 107);
    const out = parseTaskOutput(run.stdout);
    expect(out.exitCode).toBe(107);
    expect(out.files.has('summary.json')).toBe(false);
    expect(out.files.has('k6.log')).toBe(true);
  });
});

describe('docker/k6-task.sh on SIGTERM (the service removed, or its deadline)', () => {
  it('passes the signal to k6, which still writes its summary, and prints it', async () => {
    const dir = join(tmp, 'term');
    const bin = join(dir, 'bin');
    await promisify(execFile)('mkdir', ['-p', bin]);
    // Like k6: on SIGTERM it stops the test, writes its summary and exits 0. Bounded: gives up after 30 s.
    writeFileSync(
      join(bin, 'k6'),
      [
        '#!/bin/sh',
        'trap \'echo "{\\"stopped\\":true}" > "$K6_TASK_OUT/summary.json"; exit 0\' TERM',
        'echo started > "$K6_TASK_OUT/started"',
        'i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done',
        'exit 3',
      ].join('\n'),
    );
    chmodSync(join(bin, 'k6'), 0o755);
    const out = join(dir, 'out');
    const child = spawn('sh', [ENTRYPOINT, 'run'], {
      env: { PATH: `${bin}:/usr/bin:/bin`, K6_TASK_OUT: out, K6_TASK_CONFIG: join(dir, 'cfg.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      for (let i = 0; i < 100 && !existsSync(join(out, 'started')); i++) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      expect(await closed).toBe(0);
      const parsed = parseTaskOutput(stdout);
      expect(parsed.exitCode).toBe(0);
      expect(parsed.files.get('summary.json')?.toString()).toBe('{"stopped":true}\n');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

describe('parseTaskOutput on broken logs', () => {
  const frame = (name: string, enc: string, body: string) =>
    `@@toolkit-file ${name} ${enc}\n${body}\n@@toolkit-end ${name}\n`;
  const b64 = (s: string) => gzipSync(Buffer.from(s)).toString('base64');

  it('a log that stops inside a file: a problem, no file, no exit status', () => {
    const out = parseTaskOutput(`@@toolkit-file summary.json gzip+base64\n${b64('{}')}\n`);
    expect(out.files.size).toBe(0);
    expect(out.exitCode).toBeNull();
    expect(out.problems).toEqual(['summary.json: no end marker (the log stops inside it)']);
  });

  it('a file cut short by the next frame, bad base64, bad gzip, a path as a name', () => {
    const text = [
      `@@toolkit-file summary.json gzip+base64\n${b64('{}')}\n`,
      frame('k6.log', 'gzip+base64', 'not*base64'),
      frame('k6-stdout.txt', 'gzip+base64', Buffer.from('plain').toString('base64')),
      frame('../evil', 'base64', 'AAAA'),
      '@@toolkit-exit 0\n',
    ].join('');
    const out = parseTaskOutput(text);
    expect(out.exitCode).toBe(0);
    expect([...out.files.keys()]).toEqual([]);
    expect(out.problems).toHaveLength(4);
    expect(out.problems[0]).toContain('summary.json: cut short');
    expect(out.problems[1]).toBe('k6.log: not base64');
    expect(out.problems[2]).toMatch(/^k6-stdout.txt: /);
    expect(out.problems[3]).toContain('unexpected frame header');
  });

  it('ignores lines outside frames and reads CRLF-free text only once', () => {
    const out = parseTaskOutput(`noise\n${frame('k6.log', 'gzip+base64', b64('hello'))}@@toolkit-exit 3\n`);
    expect(out.files.get('k6.log')?.toString()).toBe('hello');
    expect(out.exitCode).toBe(3);
  });
});

describe('demuxStdout', () => {
  const chunk = (stream: number, text: string) => {
    const body = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = stream;
    head.writeUInt32BE(body.length, 4);
    return Buffer.concat([head, body]);
  };

  it('keeps stdout frames in order and drops stderr', () => {
    const buf = Buffer.concat([chunk(1, '@@toolkit-'), chunk(2, 'warning\n'), chunk(1, 'exit 0\n')]);
    expect(demuxStdout(buf)).toBe('@@toolkit-exit 0\n');
  });

  it('returns a buffer that is not multiplexed (a TTY task) as it is', () => {
    expect(demuxStdout(Buffer.from('@@toolkit-exit 0\n'))).toBe('@@toolkit-exit 0\n');
  });
});

describe('generator service spec', () => {
  const v = validateOptions({
    scenario: 'predict',
    rate: 20,
    duration: '5s',
    batch: 1,
    thresholds: ['p(95)<300'],
    baseUrl: 'http://127.0.0.1:8000',
    generators: 2,
  });
  const segments = executionSegments(2);
  /** The parts of the task template these tests read (dockerode types the spec loosely). */
  interface Template {
    RestartPolicy: unknown;
    Placement: { Preferences: unknown };
    Networks: unknown;
    ContainerSpec: { User: string; ReadOnly: boolean; CapabilityDrop: string[]; Args: string[]; Env: string[] };
  }
  const template = (i: number) => job(i).TaskTemplate as unknown as Template;
  const job = (i: number) =>
    generatorJobSpec({
      project: 'demo',
      runId: '20260101-000000-abcd',
      index: i,
      segment: segments[i],
      v,
      image: 'replica-toolkit/k6:abc',
      networkId: 'net1',
      target: { ip: '10.0.5.7', port: 8080 },
      spread: 'node.id',
    });

  it('is one task that runs once (restart none), spread over nodes, on the overlay, hardened, labelled', () => {
    const s = job(1);
    expect(s.Mode).toEqual({ Replicated: { Replicas: 1 } });
    const t = template(1);
    expect(t.RestartPolicy).toEqual({ Condition: 'none' });
    expect(t.Placement.Preferences).toEqual([{ Spread: { SpreadDescriptor: 'node.id' } }]);
    expect(t.Networks).toEqual([{ Target: 'net1' }]);
    expect(t.ContainerSpec.User).toBe('10001:10001');
    expect(t.ContainerSpec.ReadOnly).toBe(true);
    expect(t.ContainerSpec.CapabilityDrop).toEqual(['ALL']);
    expect(s.Labels).toMatchObject({
      'dev.replica-toolkit.managed': 'true',
      'com.docker.stack.namespace': 'demo',
      [RUN_LABEL]: '20260101-000000-abcd',
      [GENERATOR_LABEL]: '1',
    });
  });

  it('each generator runs its own segment, loads localhost mapped to the balancer on the overlay', () => {
    const args = [0, 1].map((i) => template(i).ContainerSpec.Args);
    const seg = (a: string[]) => a[a.indexOf('--execution-segment') + 1];
    expect(args.map(seg)).toEqual(['0:1/2', '1/2:1']);
    expect(args[0]).toContain('BASE_URL=http://localhost:8080');
    expect(args[0].slice(0, 3)).toEqual(['run', '--config', '/tmp/k6-config.json']);
    expect(args[0]).toContain('/opt/toolkit/loadtests/predict.ts');
    expect(args[0]).toContain('csv=/tmp/k6/timeseries.csv.gz');
    const env = template(0).ContainerSpec.Env;
    expect(env).toContain('K6_CONFIG_JSON={"hosts":{"localhost":"10.0.5.7:8080"}}');
    expect(taskK6Args({ v, segment: segments[0], target: { ip: '10.0.5.7', port: 8080 } })).toEqual(args[0]);
  });

  it('service names are DNS labels within 63 characters and keep the run id and index apart', () => {
    const long = generatorServiceName('p'.repeat(60), 'My.Run_id-with-a-long-tail-1234', 15);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
    expect(long.endsWith('-15')).toBe(true);
    expect(generatorServiceName('demo', '20260101-000000-abcd', 0)).toBe('demo_k6-20260101-000000-abcd-0');
  });
});

describe('the k6 image', () => {
  it('names its bases after the host k6 version, and refuses output without one', () => {
    expect(k6VersionTag('k6 v1.4.2 (go1.26.8, linux/amd64)')).toBe('1.4.2');
    expect(k6VersionTag('k6 v1.5.0-rc.1 (commit/abc)')).toBe('1.5.0-rc.1');
    expect(() => k6VersionTag('k6 (devel)')).toThrow('cannot read a version');
  });

  it('its context holds the Dockerfile, the entrypoint, the data and the TypeScript scenarios only', () => {
    const dir = mkdtempSync(join(tmp, 'ctx-'));
    stageK6Context(resolve(import.meta.dirname, '../..'), dir);
    const files = listFiles(dir);
    expect(files).toContain('Dockerfile');
    expect(files).toContain('k6-task.sh');
    expect(files).toContain('data/penguins.csv');
    expect(files).toContain('loadtests/predict.ts');
    expect(files).toContain('loadtests/lib/limits.ts');
    expect(files.filter((f) => f.startsWith('loadtests/') && !f.endsWith('.ts'))).toEqual([]);
  });
});
