// Fuzzes POST /predict with seeded invalid bodies: whatever a client sends, the answer is a 4xx with a
// JSON body, never a 5xx or a dropped connection. FUZZ_SEED=<n> reproduces a failing run.
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp, VALID_INSTANCE } from '../fixtures/inference-app.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const CASES = 1200;
const BODY_LIMIT = 262_144;
const MAX_INSTANCES = 100;

/** mulberry32: small, well-known seeded PRNG. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

interface FuzzCase {
  kind: string;
  body: Buffer;
  contentType?: string;
}

const FIELDS = Object.keys(VALID_INSTANCE);
const WRONG_VALUES: unknown[] = [
  null,
  true,
  false,
  [],
  {},
  [1, 2],
  { a: 1 },
  '',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e5',
  ' 45 ',
  '0x10',
  -1,
  0,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  'biscoe',
  'BISCOE',
  'Biscoe ',
  'mâle',
  '\u0000',
  'x'.repeat(5000),
];
const RAW_NUMBERS = [
  '1e999',
  '-1e999',
  '123456789012345678901234567890',
  '1e-999999',
  '-0.0e-0',
  '99999999999999999999e99',
];
const BAD_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'garbage',
  'application/jsonp',
  'image/png',
];
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const instances = (n: number) => Array.from({ length: n }, () => ({ ...VALID_INSTANCE }));

const generators: Record<string, (r: Rng) => FuzzCase> = {
  wrongType: (r) => {
    const inst: Record<string, unknown> = { ...VALID_INSTANCE };
    const field = r.pick(FIELDS);
    let v = r.pick(WRONG_VALUES);
    // A number is only wrong for the string fields, and 0 / negatives / huge only for the numeric ones.
    if (typeof v === 'number' && typeof inst[field] === 'number' && v > 0 && v < 100) v = 'x';
    inst[field] = v;
    const list = instances(r.int(3));
    list.splice(r.int(list.length + 1), 0, inst as never);
    return { kind: 'wrongType', body: json({ instances: list }) };
  },
  missing: (r) => {
    const inst: Record<string, unknown> = { ...VALID_INSTANCE };
    for (let i = 0, n = 1 + r.int(FIELDS.length); i < n; i++) delete inst[r.pick(FIELDS)];
    return { kind: 'missing', body: json(r.next() < 0.2 ? {} : { instances: [inst] }) };
  },
  extra: (r) => {
    const key = r.pick(['extra', 'species', '__proto__', 'constructor', 'Island', '', 'bill_length_mm ']);
    const where = r.next() < 0.5 ? 'instance' : 'body';
    const text =
      where === 'instance'
        ? `{"instances":[${JSON.stringify(VALID_INSTANCE).slice(0, -1)},${JSON.stringify(key)}:1}]}`
        : `{"instances":[${JSON.stringify(VALID_INSTANCE)}],${JSON.stringify(key)}:{"x":1}}`;
    return { kind: 'extra', body: Buffer.from(text) };
  },
  hugeNumber: (r) => {
    const field = r.pick(['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g']);
    const text = JSON.stringify({ instances: [VALID_INSTANCE] }).replace(
      `"${field}":${(VALID_INSTANCE as unknown as Record<string, number>)[field]}`,
      `"${field}":${r.pick(RAW_NUMBERS.filter((n) => !n.startsWith('1e-') && !n.startsWith('-0')))}`,
    );
    return { kind: 'hugeNumber', body: Buffer.from(text) };
  },
  nanLike: (r) => {
    const field = r.pick(['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g']);
    const raw = r.pick(['NaN', 'Infinity', '-Infinity', 'undefined', '+1', '.5', '01', '1.', '"NaN"', '"1e3"']);
    const text = JSON.stringify({ instances: [VALID_INSTANCE] }).replace(
      new RegExp(`"${field}":[0-9.]+`),
      `"${field}":${raw}`,
    );
    return { kind: 'nanLike', body: Buffer.from(text) };
  },
  deepNesting: (r) => {
    const depth = 10_000 + r.int(5_000);
    const [open, close] = r.pick([
      ['[', ']'],
      ['{"a":', '}'],
    ]);
    const inner = `${open.repeat(depth)}1${close.repeat(depth)}`;
    const text = r.pick([
      `{"instances":${inner}}`,
      `{"instances":[{"island":${inner}}]}`,
      inner,
      `{"instances":${open.repeat(depth)}`,
    ]);
    return { kind: 'deepNesting', body: Buffer.from(text) };
  },
  hugeArray: (r) => {
    const choice = r.int(3);
    if (choice === 0)
      return { kind: 'hugeArray', body: json({ instances: instances(MAX_INSTANCES + 1 + r.int(500)) }) };
    if (choice === 1) return { kind: 'hugeArray', body: json({ instances: Array(20_000 + r.int(50_000)).fill(0) }) };
    return { kind: 'hugeArray', body: Buffer.from(`{"instances":[${'1,'.repeat(BODY_LIMIT)}1]}`) };
  },
  wrongContentType: (r) => ({
    kind: 'wrongContentType',
    body: json({ instances: [VALID_INSTANCE] }),
    contentType: r.next() < 0.1 ? '' : r.pick(BAD_TYPES),
  }),
  truncated: (r) => {
    const full = JSON.stringify({ instances: instances(1 + r.int(4)) });
    return { kind: 'truncated', body: Buffer.from(full.slice(0, r.int(full.length))) };
  },
  nonUtf8: (r) => {
    const full = json({ instances: [VALID_INSTANCE] });
    const bytes = Buffer.from(Array.from({ length: 1 + r.int(8) }, () => 0x80 + r.int(0x80)));
    if (r.next() < 0.3) return { kind: 'nonUtf8', body: bytes };
    const at = r.int(full.length);
    return { kind: 'nonUtf8', body: Buffer.concat([full.subarray(0, at), bytes, full.subarray(at)]) };
  },
  wrongShape: (r) => ({
    kind: 'wrongShape',
    body: Buffer.from(
      r.pick(['null', '1', '"x"', '[]', 'true', '{}', '{"instances":{}}', '{"instances":"all"}', '{"instances":[]}']),
    ),
  }),
};

function send(url: string, agent: http.Agent, c: FuzzCase): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-length': c.body.length };
    if (c.contentType !== '') headers['content-type'] = c.contentType ?? 'application/json';
    const req = http.request(`${url}/predict`, { method: 'POST', agent, headers, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(c.body);
  });
}

let t: TestApp;
let agent: http.Agent;
beforeAll(async () => {
  t = await startTestApp({ MAX_INSTANCES: String(MAX_INSTANCES), BODY_LIMIT_BYTES: String(BODY_LIMIT) });
  agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
});
afterAll(async () => {
  agent?.destroy();
  await t?.close();
});

it(`answers ${CASES} invalid bodies (seed ${SEED}) with JSON 4xx only`, { timeout: 120_000 }, async () => {
  const r = rng(SEED);
  const kinds = Object.keys(generators);
  const cases = Array.from({ length: CASES }, (_, i) => generators[kinds[i % kinds.length]](r));
  const failures: string[] = [];
  const seen = new Map<string, Set<number>>();
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      const c = cases[i];
      const out = await send(t.url, agent, c).catch((err: Error) => ({ status: 0, type: '', text: err.message }));
      (seen.get(c.kind) ?? seen.set(c.kind, new Set()).get(c.kind)!).add(out.status);
      let jsonOk = false;
      try {
        jsonOk = typeof (JSON.parse(out.text) as { detail?: unknown }).detail !== 'undefined';
      } catch {}
      if (out.status < 400 || out.status >= 500 || !out.type.startsWith('application/json') || !jsonOk) {
        failures.push(`case ${i} (${c.kind}): ${out.status} ${out.text.slice(0, 160)} <- ${c.body.subarray(0, 120)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  expect(failures.slice(0, 10)).toEqual([]);
  // The generators reach every client-error path, so the run tests more than one of them.
  const statuses = new Set([...seen.values()].flatMap((s) => [...s]));
  expect([...statuses].sort()).toEqual([400, 413, 415, 422]);
  // After all that, the service still answers a valid request.
  const ok = await send(t.url, agent, { kind: 'valid', body: json({ instances: [VALID_INSTANCE] }) });
  expect(ok.status).toBe(200);
});
