// Golden files for renderCompose and renderNginx: any change to the rendered text shows up as a diff here.
// After an intended change: UPDATE_GOLDEN=1 npx vitest run test/unit/render-golden.test.ts, then review the diff.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stackPaths } from '../../toolkit/paths.ts';
import { renderCompose } from '../../toolkit/render/compose.ts';
import { type NginxFlavor, renderNginx, type UpstreamServer } from '../../toolkit/render/nginx.ts';
import { DEFAULT_SPEC, STRATEGIES, type StackSpec, serviceDefs } from '../../toolkit/spec/index.ts';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, text: string): void {
  const file = join(GOLDEN, name);
  if (update || !existsSync(file)) {
    // A missing golden file is written but still fails, so a forgotten file cannot pass silently.
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    if (!update) throw new Error(`golden file ${name} was missing and has been written; review and commit it`);
  }
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const spec = (over: Partial<StackSpec> = {}): StackSpec => ({
  ...structuredClone(DEFAULT_SPEC),
  cwd: '/srv/stack',
  ...over,
});
const images = { services: 'replica-toolkit/services:0123456789ab', nginx: 'replica-toolkit/nginx:ba9876543210' };

const upstreamOf = (n: number): UpstreamServer[] =>
  Array.from({ length: n }, (_, i) => ({ replica: i + 1, address: `172.18.0.${10 + i}:8000`, weight: i + 1 }));

describe('renderCompose golden', () => {
  it.each<[string, Partial<StackSpec>]>([
    ['default', {}],
    [
      'custom',
      {
        project: 'demo',
        replicas: 5,
        port: 9090,
        bindAddress: '127.0.0.2',
        resources: { cpus: 0.5, memoryMiB: 1024 },
        lb: { strategy: 'weighted', hashKey: '$remote_addr', weights: { '1': 3 } },
        model: { name: 'penguins', alias: 'canary' },
        gracePeriodSec: 30,
      },
    ],
  ])('%s', (name, over) => {
    const s = spec(over);
    const paths = stackPaths(s);
    golden(`compose/${name}.yml`, renderCompose(s, serviceDefs(s, images, paths), paths));
  });
});

describe('renderNginx golden', () => {
  const cases: [NginxFlavor, (typeof STRATEGIES)[number], number][] = [];
  for (const strategy of STRATEGIES) for (const n of [0, 1, 3]) cases.push(['toolkit', strategy, n]);
  for (const strategy of STRATEGIES) cases.push(['compose', strategy, 1]);
  it.each(cases)('%s %s with %i server(s)', (flavor, strategy, n) => {
    const s = spec({ lb: { strategy, hashKey: '$http_x_user', weights: {} } });
    const name = flavor === 'compose' ? `nginx/compose-${strategy}.conf` : `nginx/toolkit-${strategy}-${n}.conf`;
    golden(name, renderNginx(s, upstreamOf(n), { flavor }));
  });
});
