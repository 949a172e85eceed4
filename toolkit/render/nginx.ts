// The load balancer's config from the StackSpec and the current upstream (the ready replicas), through
// nginx/nginx.conf.hbs. Two flavours: `toolkit` lists replicas by IP:port (what the live balancer runs, rewritten
// on every scale step); `compose` names `inference:8000`, which Docker DNS expands to every replica at start.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { RuntimeError } from '../errors.ts';
import { CONTAINER_PORTS, INFERENCE_BODY_LIMIT_BYTES } from '../spec/service-defs.ts';
import type { StackSpec, Strategy } from '../spec/types.ts';

export interface UpstreamServer {
  replica: number;
  /** "ip:port" or "host:port" */
  address: string;
  weight: number;
}

export type NginxFlavor = 'toolkit' | 'compose';

const TEMPLATE = join('nginx', 'nginx.conf.hbs');

/** The balancing directive for each strategy; round robin is nginx's default and needs none. */
export function strategyDirective(strategy: Strategy, hashKey: string): string | undefined {
  switch (strategy) {
    case 'round_robin':
    case 'weighted':
      return undefined;
    case 'least_conn':
      return 'least_conn';
    case 'ip_hash':
      return 'ip_hash';
    case 'hash':
      return `hash ${hashKey} consistent`;
    case 'random_two_least_conn':
      return 'random two least_conn';
  }
}

// Addresses and weights go into the config verbatim: accept only what an upstream line can hold.
const ADDRESS_RE = /^([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

function checkServer(s: UpstreamServer): void {
  if (!ADDRESS_RE.test(s.address))
    throw new RuntimeError(`upstream address ${JSON.stringify(s.address)} is not host:port`);
  if (!Number.isInteger(s.weight) || s.weight < 1 || s.weight > 1000) {
    throw new RuntimeError(`upstream weight ${s.weight} of replica ${s.replica} is not a whole number 1..1000`);
  }
}

let compiled: Handlebars.TemplateDelegate | undefined;

/** The template ships with the package: found by walking up from this module, so it works from source and bundle. */
function template(): Handlebars.TemplateDelegate {
  if (compiled) return compiled;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, TEMPLATE);
    if (existsSync(candidate)) {
      compiled = Handlebars.compile(readFileSync(candidate, 'utf8'), { noEscape: true, strict: true });
      return compiled;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new RuntimeError(`cannot find ${TEMPLATE} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

interface TemplateServer {
  address: string;
  weight: number | false;
  down: boolean;
  replica: number | false;
}

export function renderNginx(
  spec: Pick<StackSpec, 'project' | 'lb'>,
  upstream: UpstreamServer[],
  opts: { flavor?: NginxFlavor } = {},
): string {
  const flavor = opts.flavor ?? 'toolkit';
  const strategy = spec.lb.strategy;
  let servers: TemplateServer[];
  if (flavor === 'compose') {
    // One name for all replicas; per-replica weights cannot be expressed, so `weighted` is plain round robin here.
    servers = [{ address: `inference:${CONTAINER_PORTS.inference}`, weight: false, down: false, replica: false }];
  } else {
    upstream.forEach(checkServer);
    servers = [...upstream]
      .sort((a, b) => a.replica - b.replica)
      .map((s) => ({
        address: s.address,
        weight: strategy === 'weighted' ? s.weight : false,
        down: false,
        replica: s.replica,
      }));
  }
  const hasServers = servers.length > 0;
  // nginx refuses an upstream block without servers: park a placeholder that is never tried.
  if (!hasServers) servers = [{ address: '127.0.0.1:1', weight: false, down: true, replica: false }];
  return template()({
    flavor,
    project: spec.project,
    strategy,
    serverCount: hasServers ? servers.length : 0,
    method: strategyDirective(strategy, spec.lb.hashKey) ?? false,
    servers,
    hasServers,
    bodyLimitBytes: INFERENCE_BODY_LIMIT_BYTES,
    // The first try plus up to two others, but never more than there are servers (compose: DNS decides how many).
    nextUpstreamTries: flavor === 'compose' ? 3 : Math.max(1, Math.min(3, servers.length)),
  });
}
