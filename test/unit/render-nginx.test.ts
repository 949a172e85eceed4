// renderNginx behaviour beyond the golden text: strategy directives, weights, ordering, the empty upstream,
// the compose flavour, and refusing values that would break out of an upstream line.
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../../toolkit/errors.ts';
import { renderNginx, strategyDirective } from '../../toolkit/render/nginx.ts';
import { DEFAULT_SPEC, type Strategy } from '../../toolkit/spec/index.ts';

const spec = (strategy: Strategy, hashKey = '$remote_addr') => ({
  project: 'p',
  lb: { strategy, hashKey, weights: {} },
});
const servers = [
  { replica: 2, address: '10.0.0.3:8000', weight: 5 },
  { replica: 1, address: '10.0.0.2:8000', weight: 2 },
];
/** The upstream the config routes to by default: the one named after its strategy. */
const defaultUpstream = (conf: string) => /set \$toolkit_upstream (inference_\w+);/.exec(conf)![1];
const upstreamBlock = (conf: string, name = defaultUpstream(conf)) =>
  new RegExp(`upstream ${name} \\{([\\s\\S]*?)\\n {2}\\}`).exec(conf)![1];
const serverLines = (conf: string, name?: string) =>
  upstreamBlock(conf, name)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('server '));

describe('renderNginx', () => {
  it.each<[Strategy, string | undefined]>([
    ['round_robin', undefined],
    ['weighted', undefined],
    ['least_conn', 'least_conn'],
    ['ip_hash', 'ip_hash'],
    ['hash', 'hash $http_x_user consistent'],
    ['random_two_least_conn', 'random two least_conn'],
  ])('%s balances with %s, before keepalive', (strategy, directive) => {
    expect(strategyDirective(strategy, '$http_x_user')).toBe(directive);
    const conf = renderNginx(spec(strategy, '$http_x_user'), servers);
    expect(defaultUpstream(conf)).toBe(`inference_${strategy}`);
    const block = upstreamBlock(conf);
    const lines = block
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    if (directive) expect(lines[0]).toBe(`${directive};`);
    else expect(lines[0]).toMatch(/^server /);
    expect(lines.at(-1)).toBe('keepalive 64;');
  });

  it('lists servers by replica number with passive health, weights only for weighted', () => {
    expect(serverLines(renderNginx(spec('least_conn'), servers))).toEqual([
      'server 10.0.0.2:8000 max_fails=3 fail_timeout=5s;  # replica 1',
      'server 10.0.0.3:8000 max_fails=3 fail_timeout=5s;  # replica 2',
    ]);
    expect(serverLines(renderNginx(spec('weighted'), servers))).toEqual([
      'server 10.0.0.2:8000 weight=2 max_fails=3 fail_timeout=5s;  # replica 1',
      'server 10.0.0.3:8000 weight=5 max_fails=3 fail_timeout=5s;  # replica 2',
    ]);
  });

  it('with no servers parks a down placeholder and answers 503 itself', () => {
    const conf = renderNginx(spec('hash'), []);
    expect(serverLines(conf, 'inference_hash')).toEqual(['server 127.0.0.1:1 down;']);
    expect(conf).toMatch(/return 503 /);
    expect(conf).not.toMatch(/proxy_pass/);
  });

  it('proxies every other location to the upstream, with the status and ping endpoints answered by nginx', () => {
    const conf = renderNginx(spec('round_robin'), servers);
    expect(conf).toMatch(/location \/ \{[^}]*set \$toolkit_upstream inference_round_robin;/);
    expect(conf).toMatch(/\n\s+proxy_pass http:\/\/\$toolkit_upstream;/);
    expect(conf).toMatch(/location = \/lb\/status \{[^}]*stub_status;/);
    expect(conf).toMatch(/location = \/lb\/ping \{[^}]*return 200/);
    for (const line of [
      'daemon off;',
      'pid /tmp/nginx.pid;',
      'worker_processes auto;',
      'listen 8080;',
      'client_max_body_size 1048576;',
      'proxy_http_version 1.1;',
      'proxy_set_header Connection "";',
      'proxy_next_upstream error timeout;',
      'proxy_next_upstream_tries 2;',
      'access_log /dev/stdout toolkit_json buffer=64k flush=1s;',
    ]) {
      expect(conf).toContain(line);
    }
    expect(conf).toMatch(/log_format toolkit_json escape=json/);
    for (const field of [
      'upstream_addr',
      'upstream_status',
      'upstream_response_time',
      'upstream_http_x_replica',
      'request_time',
    ]) {
      expect(conf).toContain(`"${field}":`);
    }
  });

  it('compose flavour names the service and lets Docker DNS list the replicas', () => {
    const conf = renderNginx(spec('weighted'), [{ replica: 1, address: 'inference:8000', weight: 1 }], {
      flavor: 'compose',
    });
    expect(serverLines(conf)).toEqual(['server inference:8000 max_fails=3 fail_timeout=5s;']);
    // Nothing switches a hand-run compose stack: it runs the strategy it was rendered with.
    expect(conf).not.toMatch(/if \(-f/);
  });

  it.each([
    [{ replica: 1, address: '10.0.0.2:8000; evil', weight: 1 }],
    [{ replica: 1, address: '10.0.0.2', weight: 1 }],
    [{ replica: 1, address: '10.0.0.2:8000', weight: 0 }],
    [{ replica: 1, address: '10.0.0.2:8000', weight: 1.5 }],
  ])('refuses upstream %j', (server) => {
    expect(() => renderNginx(DEFAULT_SPEC, [server])).toThrow(RuntimeError);
  });
});
