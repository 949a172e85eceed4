// The project images on the real engine: built once, reused on the next call, and runnable the way the
// stack runs them (uid 10001, read-only root fs, no capabilities). Every container and volume made here
// carries TEST_LABEL and is removed in afterAll, even when a test fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker, type DockerClient } from '../../toolkit/docker.ts';
import { RuntimeError } from '../../toolkit/errors.ts';
import {
  ensureBaseImages,
  ensureImages,
  type ImageSpec,
  LOCAL_BASES,
  MANAGED_LABEL,
  type StackImages,
} from '../../toolkit/images/index.ts';
import type { Progress } from '../../toolkit/progress.ts';
import { httpCheck } from '../../toolkit/spec/service-defs.ts';

const TEST_LABEL = 'dev.replica-toolkit.test';
const LABELS = { [MANAGED_LABEL]: 'true', [TEST_LABEL]: 'images' };
const SPEC: ImageSpec = { images: { nodeBase: 'node:20-bookworm-slim', nginxBase: 'nginx:stable', bootstrap: 'auto' } };
const HARDENED = { ReadonlyRootfs: true, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] };

let docker: DockerClient;
let images: StackImages;
const tmp = mkdtempSync(join(tmpdir(), 'images-test-'));

function recordingProgress(lines: string[]): Progress {
  return {
    step: (m) => lines.push(`step ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
  };
}

/** Split the engine's multiplexed log stream (8-byte frame headers) into stdout and stderr. */
function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    (buf[i] === 2 ? err : out).push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

async function runOnce(
  image: string,
  cmd: string[],
  opts: { entrypoint?: string[]; host?: Docker.HostConfig } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    Entrypoint: opts.entrypoint,
    User: '10001:10001',
    Labels: LABELS,
    HostConfig: { ...HARDENED, ...opts.host },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { code: StatusCode, ...demux(logs) };
  } finally {
    await container.remove({ force: true });
  }
}

async function removeTestObjects(): Promise<void> {
  const filters = { label: [`${TEST_LABEL}=images`] };
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker.getContainer(c.Id).remove({ force: true });
  }
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) await docker.getVolume(v.Name).remove();
}

beforeAll(async () => {
  docker = await connectDocker();
  await removeTestObjects();
  images = await ensureImages(docker, SPEC, recordingProgress([]));
});

afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  if (docker) await removeTestObjects();
});

describe('ensureImages', () => {
  it('yields a hash-tagged services image and nginx image, both labelled as ours', async () => {
    expect(images.services).toMatch(/^replica-toolkit\/services:[0-9a-f]{12}$/);
    expect(images.nginx).toMatch(/^replica-toolkit\/nginx:[0-9a-f]{12}$/);
    for (const tag of [images.services, images.nginx]) {
      const info = await docker.getImage(tag).inspect();
      expect(info.Config.Labels?.[MANAGED_LABEL]).toBe('true');
    }
  });

  it('is a no-op the second time: same tags, same image IDs, nothing built', async () => {
    const before = await Promise.all([images.services, images.nginx].map((t) => docker.getImage(t).inspect()));
    const lines: string[] = [];
    const again = await ensureImages(docker, SPEC, recordingProgress(lines));
    expect(again).toEqual(images);
    const after = await Promise.all([again.services, again.nginx].map((t) => docker.getImage(t).inspect()));
    expect(after.map((i) => i.Id)).toEqual(before.map((i) => i.Id));
    expect(lines.filter((l) => /building|debootstrap|pulling/.test(l))).toEqual([]);
  });
});

describe('ensureBaseImages', () => {
  it("with bootstrap 'never' refuses a base it cannot find or pull, and says how to allow bootstrapping", async () => {
    const spec: ImageSpec = {
      images: { nodeBase: 'replica-toolkit/no-such-base:1', nginxBase: 'nginx:stable', bootstrap: 'never' },
    };
    const err = await ensureBaseImages(docker, spec, recordingProgress([])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).message).toContain('replica-toolkit/no-such-base:1');
    expect((err as RuntimeError).hint).toContain('--bootstrap-images');
  });

  it("with bootstrap 'always' uses the local bases (cached from the first run)", async () => {
    const lines: string[] = [];
    const bases = await ensureBaseImages(
      docker,
      { images: { ...SPEC.images, bootstrap: 'always' } },
      recordingProgress(lines),
    );
    expect(bases).toEqual({ nodeBase: LOCAL_BASES.node, nginxBase: LOCAL_BASES.nginx });
    expect(lines.filter((l) => /pulling|debootstrap/.test(l))).toEqual([]);
  });
});

describe('services image', () => {
  it('runs as uid 10001 with a read-only root fs and no capabilities', async () => {
    const info = await docker.getImage(images.services).inspect();
    expect(info.Config.User).toBe('10001:10001');
    const help = await runOnce(images.services, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/storage/);
    expect(help.stdout).toMatch(/inference/);
    const bad = await runOnce(images.services, ['no-such-service']);
    expect(bad.code).toBe(2);
  });

  it('ships the training data and a /data directory uid 10001 can write through a volume', async () => {
    const volume = await docker.createVolume({ Name: `images-test-${process.pid}`, Labels: LABELS });
    const script =
      "const fs=require('fs');fs.writeFileSync('/data/probe','ok');" +
      'console.log(fs.statSync(process.env.TRAINER_DATA).size>0, fs.readFileSync("/data/probe","utf8"))';
    const res = await runOnce(images.services, ['-e', script], {
      entrypoint: ['node'],
      host: { Binds: [`${volume.name}:/data`] },
    });
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('true ok');
  });

  it("runs the services' health check in the image: healthy only on a 200 from the port it names", async () => {
    // A server answering 200 on /ok and 503 elsewhere; the check, as the services run it, against three targets.
    const server = "require('http').createServer((q,s)=>{s.statusCode=q.url==='/ok'?200:503;s.end()}).listen(8000)";
    const check = (port: number, path: string) => httpCheck(port, path, 1).test.slice(2)[0];
    const script = [
      `node -e "${server}" & for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null && break; sleep 0.1; done`,
      `bash -c '${check(8000, '/ok').replaceAll("'", "'\\''")}'; echo ok=$?`,
      `bash -c '${check(8000, '/ready').replaceAll("'", "'\\''")}'; echo unready=$?`,
      `bash -c '${check(8001, '/ok').replaceAll("'", "'\\''")}' 2>/dev/null; echo closed=$?`,
    ].join('\n');
    const res = await runOnce(images.services, ['-c', script], { entrypoint: ['bash'] });
    expect(httpCheck(8000, '/ok', 1).test.slice(0, 2)).toEqual(['bash', '-c']);
    expect(res.stdout.trim().split('\n')).toEqual(['ok=0', 'unready=1', 'closed=1']);
  });

  it('serves /docs from the bundle (swagger-ui static files are in the image)', async () => {
    const container = await docker.createContainer({
      Image: images.services,
      Cmd: ['inference'],
      User: '10001:10001',
      Labels: LABELS,
      Env: [
        'STORAGE_ACCESS_KEY=test',
        'STORAGE_SECRET_KEY=test-secret',
        'REGISTRY_URL=http://127.0.0.1:9',
        'LOG_LEVEL=warn',
      ],
      ExposedPorts: { '8000/tcp': {} },
      HostConfig: { ...HARDENED, PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    // Removed even when an expectation fails: a failed run must not leave a container behind.
    await using _cleanup = { [Symbol.asyncDispose]: () => container.remove({ force: true }) };
    await container.start();
    const port = (await container.inspect()).NetworkSettings.Ports['8000/tcp']?.[0]?.HostPort;
    expect(port).toBeTruthy();
    const base = `http://127.0.0.1:${port}`;
    let page: Response | undefined;
    for (let i = 0; i < 60 && !page; i++) {
      page = await fetch(`${base}/docs/`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      if (!page) await new Promise((r) => setTimeout(r, 250));
    }
    expect(page?.status).toBe(200);
    expect(await page?.text()).toMatch(/swagger/i);
    const css = await fetch(`${base}/docs/static/swagger-ui.css`, { signal: AbortSignal.timeout(2000) });
    expect(css.status).toBe(200);
    expect((await css.text()).length).toBeGreaterThan(1000);
  });
});

describe('nginx image', () => {
  it('runs nginx -v', async () => {
    const res = await runOnce(images.nginx, ['-v']);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/nginx version: nginx\/\d+\.\d+/);
  });

  it('accepts a bind-mounted config with pid and temp files under /tmp, as uid 10001 on a read-only fs', async () => {
    const conf = join(tmp, 'nginx.conf');
    writeFileSync(
      conf,
      `pid /tmp/nginx.pid;
events {}
http {
  client_body_temp_path /tmp/client_body; proxy_temp_path /tmp/proxy; fastcgi_temp_path /tmp/fastcgi;
  uwsgi_temp_path /tmp/uwsgi; scgi_temp_path /tmp/scgi; access_log /dev/stdout;
  server { listen 8080; location / { return 200 "ok"; } }
}
`,
    );
    const res = await runOnce(images.nginx, ['-t'], {
      host: { Binds: [`${conf}:/etc/toolkit-nginx/nginx.conf:ro`], Tmpfs: { '/tmp': 'rw,size=16m' } },
    });
    expect(res.stderr).toMatch(/test is successful/);
    expect(res.code).toBe(0);
  });
});
