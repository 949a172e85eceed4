// The balancer's self-description in the rendered config: one upstream per strategy, switch files scoped to the
// render, /lb/health per strategy in force, the `# toolkit-lb:` model read back, and `$` kept out of nginx strings.
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../../toolkit/errors.ts';
import {
  type LbHealth,
  nginxReturnText,
  readRenderedLb,
  switchFileName,
  variantHealth,
} from '../../toolkit/render/lb-health.ts';
import { renderNginx, type UpstreamServer } from '../../toolkit/render/nginx.ts';
import { STRATEGIES, type Strategy } from '../../toolkit/spec/index.ts';

const servers: UpstreamServer[] = [
  { replica: 1, address: '10.0.0.2:8000', weight: 3 },
  { replica: 2, address: '10.0.0.3:8000', weight: 1 },
  { replica: 3, address: '10.0.0.4:8000', weight: 2, state: 'draining' },
];
const lb = (strategy: Strategy, hashKey = '$http_x_user', weights = {}) => ({
  project: 'p',
  lb: { strategy, hashKey, weights },
});

/** The JSON texts /lb/health can return, with `${toolkit_dollar}` turned back into `$` as nginx does. */
const healthTexts = (conf: string): LbHealth[] =>
  [...conf.matchAll(/return 200 '(\{.*\})\\n';/g)].map((m) => JSON.parse(m[1].replaceAll('${toolkit_dollar}', '$')));

describe('rendered load-balancer model', () => {
  it('holds one upstream per strategy over the same servers, and routes to the spec strategy by default', () => {
    const conf = renderNginx(lb('least_conn'), servers);
    for (const s of STRATEGIES) expect(conf).toContain(`upstream inference_${s} {`);
    expect(conf).toMatch(/set \$toolkit_upstream inference_least_conn;/);
    expect(conf).toContain('hash $http_x_user consistent;');
    expect(conf).toContain('server 10.0.0.2:8000 weight=3 max_fails=3 fail_timeout=5s;  # replica 1');
    // A draining replica stays listed (hash keys keep their replicas) but gets no requests.
    expect(conf).toContain('server 10.0.0.4:8000 down;  # replica 3');
  });

  it('reads back what it rendered, and switch files name that render and each other strategy', () => {
    const conf = renderNginx(lb('least_conn'), servers);
    const r = readRenderedLb(conf)!;
    expect(r).toMatchObject({ strategy: 'least_conn', hash_key: '$http_x_user', weights: { 1: 3, 2: 1, 3: 2 } });
    expect(r.backends.map((b) => [b.replica, b.state])).toEqual([
      [1, 'up'],
      [2, 'up'],
      [3, 'draining'],
    ]);
    for (const s of STRATEGIES.filter((x) => x !== 'least_conn')) {
      const flag = `/etc/toolkit-nginx/switch/${switchFileName(r.render, s)}`;
      expect(conf).toContain(`if (-f ${flag}) {\n        set $toolkit_upstream inference_${s};`);
      expect(conf).toContain(`if (-f ${flag}) {\n        return 200 '`);
    }
    expect(conf).not.toContain(`${r.render}.least_conn`);
  });

  it('answers /lb/health with the variant in force: strategy, effective weights, healthy count, its own id', () => {
    const conf = renderNginx(lb('round_robin'), servers);
    const r = readRenderedLb(conf)!;
    const texts = healthTexts(conf);
    expect(texts.map((h) => h.strategy).sort()).toEqual([...STRATEGIES].sort());
    for (const h of texts) expect(h).toEqual(variantHealth(r, h.strategy));
    const weighted = texts.find((h) => h.strategy === 'weighted')!;
    expect(weighted.backends.map((b) => b.weight)).toEqual([3, 1, 2]);
    expect(weighted.healthy).toBe(2);
    expect(texts.find((h) => h.strategy === 'least_conn')!.backends.map((b) => b.weight)).toEqual([1, 1, 1]);
    expect(texts.find((h) => h.strategy === 'hash')!.hash_key).toBe('$http_x_user');
    expect(new Set(texts.map((h) => h.config)).size).toBe(STRATEGIES.length);
  });

  it('gives a new render id when servers, weights or the hash key change, the same one otherwise', () => {
    const id = (over: Partial<ReturnType<typeof lb>['lb']> = {}, list = servers) =>
      readRenderedLb(renderNginx({ project: 'p', lb: { ...lb('round_robin').lb, ...over } }, list))!.render;
    expect(id()).toBe(id());
    expect(id({ hashKey: '$remote_addr' })).not.toBe(id());
    expect(id({}, servers.slice(0, 2))).not.toBe(id());
    expect(id({}, [{ ...servers[0], weight: 4 }, ...servers.slice(1)])).not.toBe(id());
    expect(id({ strategy: 'ip_hash' })).not.toBe(id());
  });

  it('keeps `$` out of nginx strings and refuses text that would end one', () => {
    expect(nginxReturnText('{"k":"$remote_addr"}')).toBe('{"k":"${toolkit_dollar}remote_addr"}');
    for (const bad of ['{"k":"it\'s"}', '{"k":"a\\\\b"}', '{"k":"a\nb"}']) {
      expect(() => nginxReturnText(bad)).toThrow(RuntimeError);
    }
    expect(renderNginx(lb('hash'), servers)).toMatch(/geo \$toolkit_dollar \{\s+default "\$";/);
  });

  it('has no model to read in a config from before /lb/health, or a broken one', () => {
    expect(readRenderedLb('worker_processes auto;\n')).toBeUndefined();
    expect(readRenderedLb('# toolkit-lb: {not json\n')).toBeUndefined();
    expect(readRenderedLb('# toolkit-lb: {"render":"x","strategy":"fastest","backends":[]}\n')).toBeUndefined();
  });
});
