// The real `toolkit` binary: exit codes (0 ok, 2 usage/config, 1 runtime), one-line reasons with hints, and that
// bad input changes nothing on the Docker engine.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/toolkit.js');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let cwd: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function toolkit(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        done({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

async function projectObjects(project: string): Promise<number> {
  const filters = { label: [`com.docker.compose.project=${project}`] };
  const [c, n, v] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return c.length + n.length + (v.Volumes?.length ?? 0);
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'toolkit-cli-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('toolkit binary', () => {
  it('prints help listing every command and exits 0', async () => {
    const r = await toolkit(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['up', 'down', 'status', 'logs', 'config', 'loadtest', 'sweep', 'report']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    }
  });

  it.each([
    [['up', '--replicas', '0'], /replicas/],
    [['up', '--replicas', '-1'], /replicas/],
    [['up', '--replicas', 'abc'], /replicas/],
    [['up', '--replicas', '33'], /replicas/],
    [['up', '--strategy', 'fastest'], /strategy/],
    [['up', '--port', '70000'], /port/],
    [['up', '--bogus'], /unknown option '--bogus'/],
    [['frobnicate'], /unknown command/],
    [['logs', 'database'], /unknown service/],
  ])('toolkit %j exits 2 with a reason and a hint, creating nothing', async (args, reason) => {
    const project = `clibad${Math.floor(Math.random() * 1e6)}`;
    const r = await toolkit([...args, '--project', project]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(reason);
    expect(r.stderr).toMatch(/hint:/);
    expect(await projectObjects(project)).toBe(0);
  });

  it('reports every problem of an invalid config file at once, with its location', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'toolkit-cfg-'));
    await writeFile(join(dir, 'toolkit.config.yaml'), 'replicas: many\nport: 70000\nlb:\n  strategy: fastest\n');
    const r = await toolkit(['config', '--json', '--config', join(dir, 'toolkit.config.yaml')]);
    await rm(dir, { recursive: true, force: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/replicas/);
    expect(r.stderr).toMatch(/port/);
    expect(r.stderr).toMatch(/strategy/);
    expect(r.stderr).toMatch(/toolkit\.config\.yaml/);
  });

  it('exits 1 with a hint when the Docker engine is not reachable', async () => {
    const r = await toolkit(['status'], { DOCKER_HOST: 'unix:///tmp/no-such-docker.sock' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Docker engine not reachable/);
    expect(r.stderr).toMatch(/hint:.*setup/);
  });

  it('refuses a published port that is already taken (exit 2) before creating anything', async () => {
    const blocker = net.createServer();
    await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', ok));
    const port = (blocker.address() as net.AddressInfo).port;
    const project = `cliport${Math.floor(Math.random() * 1e6)}`;
    try {
      const r = await toolkit(['up', '--replicas', '1', '--port', String(port), '--project', project]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`port ${port}.*in use`));
      expect(r.stderr).toMatch(/hint:.*--port/);
      expect(await projectObjects(project)).toBe(0);
    } finally {
      blocker.close();
    }
  });

  it('status of a project that does not exist says how to start one (exit 0)', async () => {
    const r = await toolkit(['status', '--project', 'nosuchproject']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/toolkit up/);
  });
});
