// renderCompose read back as data: the keys docker-compose 1.29 and v2 both honour, paths relative to compose/,
// `$` kept literal, and YAML 1.1 readers (docker-compose's PyYAML) getting strings where strings are meant.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stackPaths } from '../../toolkit/paths.ts';
import { renderCompose } from '../../toolkit/render/compose.ts';
import { writeFileAtomic } from '../../toolkit/render/write.ts';
import { DEFAULT_SPEC, type StackSpec, serviceDefs } from '../../toolkit/spec/index.ts';

const images = { services: 'svc:1', nginx: 'lb:1' };
const spec: StackSpec = { ...structuredClone(DEFAULT_SPEC), cwd: '/w', project: 'demo', replicas: 4, port: 8111 };
const paths = stackPaths(spec);
const defs = serviceDefs(spec, images, paths);
const text = renderCompose(spec, defs, paths);
const doc = parse(text, { version: '1.1' }) as {
  version: string;
  services: Record<string, Record<string, unknown>>;
  volumes: object;
};

describe('renderCompose', () => {
  it('declares the five services and the storage volume', () => {
    expect(doc.version).toBe('3.9');
    expect(Object.keys(doc.services)).toEqual(['storage', 'registry', 'trainer', 'inference', 'nginx']);
    expect(Object.keys(doc.volumes)).toEqual(['storage-data']);
    expect(doc.services.storage.volumes).toEqual(['storage-data:/data']);
  });

  it('scales inference with deploy.replicas, which docker-compose 1.29, v2 and stack deploy all honour', () => {
    expect(doc.services.inference.deploy).toMatchObject({ replicas: 4 });
    // stack deploy rejects these top-level keys
    for (const key of ['scale', 'cpus', 'mem_limit']) expect(doc.services.inference).not.toHaveProperty(key);
  });

  it('carries limits, hardening, restart and healthchecks', () => {
    const inf = doc.services.inference;
    expect(inf.deploy).toMatchObject({ resources: { limits: { cpus: '1', memory: '512M' } } });
    expect(doc.services.trainer.deploy).toMatchObject({ restart_policy: { condition: 'none' } });
    expect(inf).toMatchObject({
      user: '10001:10001',
      read_only: true,
      tmpfs: ['/tmp:rw,noexec,nosuid,size=64m'],
      cap_drop: ['ALL'],
      security_opt: ['no-new-privileges:true'],
      restart: 'unless-stopped',
      stop_grace_period: '13s',
    });
    expect(inf.healthcheck).toMatchObject({
      // `$` doubled: compose would interpolate `$code`.
      test: [
        'CMD',
        'bash',
        '-c',
        expect.stringMatching(/\/dev\/tcp\/127\.0\.0\.1\/8000 .*GET \/ready .*"\$\$code" = 200/),
      ],
      interval: '5s',
      retries: 6,
    });
    // Read as YAML 1.1, as docker-compose does: `no` must stay a string.
    expect(doc.services.trainer.restart).toBe('no');
  });

  it('points env_file and the nginx config at paths relative to compose/', () => {
    expect(doc.services.inference.env_file).toEqual(['../.toolkit/demo/secrets.env']);
    expect(doc.services.nginx).not.toHaveProperty('env_file');
    expect(doc.services.nginx.volumes).toEqual(['./nginx.conf:/etc/toolkit-nginx/nginx.conf:ro']);
    expect(doc.services.nginx.ports).toEqual(['127.0.0.1:8111:8080']);
    expect(doc.services.nginx.entrypoint).toEqual(['nginx']);
  });

  it('orders start-up with depends_on as a list (stack deploy rejects conditions); nginx after inference', () => {
    expect(doc.services.inference.depends_on).toEqual(['storage', 'registry', 'trainer']);
    expect(doc.services.nginx.depends_on).toEqual(['inference']);
  });

  it('labels everything as ours and escapes $ so compose does not interpolate', () => {
    for (const s of Object.values(doc.services)) {
      expect(s.labels).toEqual({ 'dev.replica-toolkit.managed': 'true', 'dev.replica-toolkit.project': 'demo' });
      expect((s.deploy as { labels: unknown }).labels).toEqual(s.labels);
    }
    const withDollar = defs.map((d) => (d.name === 'trainer' ? { ...d, env: { ...d.env, X: 'a$b' } } : d));
    const again = parse(renderCompose(spec, withDollar, paths)) as typeof doc;
    expect((again.services.trainer.environment as Record<string, string>).X).toBe('a$$b');
    expect(text).not.toMatch(/&a\d|\*a\d/); // no YAML anchors: people read this file
  });
});

describe('writeFileAtomic', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'write-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates directories, replaces the file whole and leaves no temp files', async () => {
    const file = join(dir, 'a', 'b', 'x.conf');
    await writeFileAtomic(file, 'one');
    await Promise.all(Array.from({ length: 10 }, (_, i) => writeFileAtomic(file, `v${i}`.repeat(1000))));
    expect(await readFile(file, 'utf8')).toMatch(/^(v\d)\1{999}$/);
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['x.conf']);
  });
});
