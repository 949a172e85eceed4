// The trainer end to end into real storage and a real registry, in-process and through services/main.ts.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PenguinsModel } from '../../services/model/penguins.ts';
import { startTestRegistry, type TestRegistry, trainInto } from '../helpers/registry.ts';
import { startTestStorage } from '../helpers/storage.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

let storage: Awaited<ReturnType<typeof startTestStorage>>;
let registry: TestRegistry;

beforeAll(async () => {
  storage = await startTestStorage();
  registry = await startTestRegistry(storage);
});
afterAll(async () => {
  await registry?.close();
  await storage?.close();
});

async function object(bucket: string, key: string): Promise<string> {
  const out = await storage.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString('utf-8')) ?? '';
}

async function aliasVersion(name: string, alias: string) {
  const res = await fetch(`${registry.url}/api/2.0/mlflow/registered-models/alias?name=${name}&alias=${alias}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { model_version: { version: string; tags: { key: string; value: string }[] } })
    .model_version;
}

describe('trainer in-process', () => {
  it('trains, prints the holdout accuracy, uploads a verifiable artifact and registers version 1', async () => {
    const lines: string[] = [];
    const result = await trainInto(storage, registry, { log: (l) => lines.push(l) });

    expect(result).toMatchObject({ name: 'penguins', version: '1', alias: 'production', created: true });
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(lines.join('\n')).toMatch(/holdout accuracy: 0\.9\d{3}|holdout accuracy: 1\.0000/);

    const key = `penguins/${result.sha256}/model.json`;
    expect(result.source).toBe(`s3://models/${key}`);
    const bytes = await object('models', key);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(result.sha256);
    expect((await object('models', `${key}.sha256`)).split(/\s+/)[0]).toBe(result.sha256);
    const model = PenguinsModel.fromArtifact(JSON.parse(bytes));
    const [p] = model.predict([
      {
        island: 'Biscoe',
        bill_length_mm: 47.5,
        bill_depth_mm: 15,
        flipper_length_mm: 218,
        body_mass_g: 4950,
        sex: 'male',
      },
    ]);
    expect(p.species).toBe('Gentoo');

    const version = await aliasVersion('penguins', 'production');
    expect(version.version).toBe('1');
    expect(version.tags).toContainEqual({ key: 'sha256', value: result.sha256 });
  });

  it('does nothing on a rerun while the alias resolves', async () => {
    const lines: string[] = [];
    const again = await trainInto(storage, registry, { log: (l) => lines.push(l) });
    expect(again).toMatchObject({ name: 'penguins', version: '1', created: false });
    expect(again.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(lines.join('\n')).not.toMatch(/holdout accuracy/);
    const res = await fetch(`${registry.url}/api/2.0/mlflow/model-versions/get?name=penguins&version=2`);
    expect(res.status).toBe(404);
  });

  it('registers version 2 and moves the alias when a new version is asked for', async () => {
    const result = await trainInto(storage, registry, { newVersion: true });
    expect(result).toMatchObject({ version: '2', created: true });
    expect((await aliasVersion('penguins', 'production')).version).toBe('2');
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runMain(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'services/main.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('services/main.ts', () => {
  it('runs the trainer as a child process and prints one JSON result line', async () => {
    const run = await runMain(['trainer'], {
      STORAGE_URL: storage.url,
      STORAGE_ACCESS_KEY: storage.accessKey,
      STORAGE_SECRET_KEY: storage.secretKey,
      STORAGE_REGION: storage.region,
      REGISTRY_URL: registry.url,
      REGISTRY_TOKEN: registry.token,
      MODEL: 'child@staging',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/holdout accuracy: /);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]);
    expect(result).toMatchObject({ name: 'child', alias: 'staging', version: '1', created: true });
    expect((await aliasVersion('child', 'staging')).version).toBe('1');
  });

  it('exits 2 with a one-line reason on a bad environment value', async () => {
    const run = await runMain(['registry'], {
      PORT: 'abc',
      STORAGE_ACCESS_KEY: 'a',
      STORAGE_SECRET_KEY: 'b',
      REGISTRY_TOKEN: 't',
    });
    expect(run.code).toBe(2);
    expect(
      run.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('npm warn')),
    ).toEqual(['registry: invalid configuration: PORT="abc" is not a whole number']);
  });

  it('exits 1 when the trainer cannot reach the registry in time', async () => {
    const run = await runMain(['trainer'], {
      STORAGE_URL: storage.url,
      STORAGE_ACCESS_KEY: storage.accessKey,
      STORAGE_SECRET_KEY: storage.secretKey,
      REGISTRY_URL: 'http://127.0.0.1:9',
      REGISTRY_TOKEN: 't',
      TRAINER_WAIT_MS: '300',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/trainer: registry http:\/\/127\.0\.0\.1:9: gave up/);
    expect(run.stdout).toBe('');
  });

  it('serves the registry until SIGTERM, then closes and exits 0', async () => {
    // node --import tsx: one process, so the signal reaches main.ts itself and not a wrapper.
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/main.ts', 'registry'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: '0',
        STORAGE_URL: storage.url,
        STORAGE_ACCESS_KEY: storage.accessKey,
        STORAGE_SECRET_KEY: storage.secretKey,
        REGISTRY_TOKEN: 't',
        REGISTRY_BUCKET: 'registry-sigterm',
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "listening on" line; stderr: ${stderr}`)), 60_000);
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          const m = /registry: listening on (\S+)/.exec(stderr);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
      });
      expect((await fetch(`${url}/health`)).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('lists the services with --help and rejects an unknown one with exit 2', async () => {
    const help = await runMain(['--help'], {});
    expect(help.code).toBe(0);
    for (const s of ['storage', 'registry', 'inference', 'trainer'])
      expect(help.stdout).toMatch(new RegExp(`^  ${s} `, 'm'));
    const unknown = await runMain(['nonsense'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown or extra arguments: nonsense/);
  });
});
