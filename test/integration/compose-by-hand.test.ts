// The generated compose bundle is a real artifact: a user can run it by hand with docker-compose, scale it, and
// predict through the published port — with no toolkit process involved after `toolkit config` wrote it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VALID_INSTANCE as INSTANCE } from '../fixtures/inference-app.ts';
import { freePort } from '../helpers/net.ts';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/toolkit.js');
const project = `tkhand${process.pid}`;
let cwd: string;
let port: number;
let composeFile: string;

const compose = (args: string[]) =>
  run('docker-compose', ['-p', project, '-f', composeFile, ...args], { cwd, maxBuffer: 32 * 1024 * 1024 });

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'toolkit-hand-'));
  port = await freePort();
  composeFile = join(cwd, 'compose', 'docker-compose.yml');
  const { stdout } = await run(
    process.execPath,
    [BIN, 'config', '--project', project, '--port', String(port), '--replicas', '2'],
    { cwd, maxBuffer: 32 * 1024 * 1024 },
  );
  expect(stdout).toContain('docker-compose.yml');
});

afterAll(async () => {
  await compose(['down', '-v', '--remove-orphans']).catch(() => undefined);
  await rm(cwd, { recursive: true, force: true });
});

describe('compose bundle run by hand', () => {
  it('keeps secrets out of the compose file and in the git-ignored env file', async () => {
    const text = await readFile(composeFile, 'utf8');
    const secrets = await readFile(join(cwd, '.toolkit', project, 'secrets.env'), 'utf8');
    const token = /REGISTRY_TOKEN=(.+)/.exec(secrets)?.[1];
    expect(token).toBeTruthy();
    expect(text).not.toContain(token!);
    expect(text).toContain(`127.0.0.1:${port}:8080`);
  });

  it('comes up with docker-compose --scale and serves predictions from every replica', async () => {
    await compose(['up', '-d', '--scale', 'inference=3']);
    const seen = new Set<string>();
    const deadline = Date.now() + 150_000;
    let lastError = '';
    // Bounded: stops after 150 s or once all three replicas answered.
    while (Date.now() < deadline && seen.size < 3) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ instances: [INSTANCE] }),
        });
        if (res.status === 200) {
          const body = (await res.json()) as { predictions: { species: string }[] };
          expect(body.predictions[0].species).toBe('Gentoo');
          seen.add(res.headers.get('x-replica') ?? '');
        } else {
          lastError = `HTTP ${res.status}`;
          await new Promise((r) => setTimeout(r, 500));
        }
      } catch (err) {
        lastError = (err as Error).message;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    expect(seen.size, `replicas seen: ${[...seen].join(', ')}; last error: ${lastError}`).toBe(3);
    const { stdout } = await compose(['ps']);
    expect(stdout.match(/inference_\d/g)?.length).toBe(3);
  });
});
