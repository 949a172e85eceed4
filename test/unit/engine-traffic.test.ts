// Real HTTP servers on 127.0.0.1 (port 0) stand in for nginx: the traffic proof and the port check run for real.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPortFree } from '../../toolkit/engine/port.ts';
import { hashHeaderName, waitTrafficReaches } from '../../toolkit/engine/traffic.ts';
import { UsageError } from '../../toolkit/errors.ts';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function roundRobin(replicas: string[]): Promise<string> {
  let i = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'x-replica': replicas[i++ % replicas.length], 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const rr = { lb: { strategy: 'round_robin' as const, hashKey: '', weights: {} } };

describe('traffic proof', () => {
  it('succeeds when a round reaches exactly the expected replicas', async () => {
    const url = await roundRobin(['r1', 'r2', 'r3']);
    const res = await waitTrafficReaches(url, ['r1', 'r2', 'r3'], rr, { timeoutMs: 5000 });
    expect(res).toMatchObject({ ok: true, seen: ['r1', 'r2', 'r3'], missing: [], unexpected: [] });
  });

  it('fails, bounded, naming what is missing and what is unexpected', async () => {
    const url = await roundRobin(['r1', 'r9']);
    const res = await waitTrafficReaches(url, ['r1', 'r2'], rr, { timeoutMs: 2000, maxRequests: 40 });
    expect(res.ok).toBe(false);
    expect(res.missing).toEqual(['r2']);
    expect(res.unexpected).toEqual(['r9']);
    expect(res.requests).toBeLessThanOrEqual(40);
  });

  it('in drain mode only asks that no other replica answers', async () => {
    const url = await roundRobin(['r1']);
    expect((await waitTrafficReaches(url, ['r1', 'r2'], rr, { timeoutMs: 2000, require: 'only' })).ok).toBe(true);
    const res = await waitTrafficReaches(url, ['r2'], rr, { timeoutMs: 1000, maxRequests: 16, require: 'only' });
    expect(res).toMatchObject({ ok: false, unexpected: ['r1'] });
  });

  it('varies the hash key only when it is a request header', () => {
    expect(hashHeaderName('hash', '$http_x_user')).toBe('x-user');
    expect(hashHeaderName('hash', '$remote_addr')).toBeUndefined();
    expect(hashHeaderName('round_robin', '$http_x_user')).toBeUndefined();
  });
});

describe('port check', () => {
  it('passes for a free port and is a usage error (exit 2, --port hint) for a taken one', async () => {
    const server = http.createServer();
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const err = await assertPortFree('127.0.0.1', port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).hint).toMatch(/--port/);
    await new Promise((r) => server.close(r));
    servers.length = 0;
    await expect(assertPortFree('127.0.0.1', port)).resolves.toBeUndefined();
  });
});
