// The load balancer's config from the StackSpec and the current upstream (the ready replicas), through
// nginx/nginx.conf.hbs. Two flavours: `toolkit` lists replicas by IP:port (what the live balancer runs, rewritten
// on every scale step); `compose` names `inference:8000`, which Docker DNS expands to every replica at start.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { RuntimeError } from '../errors.ts';
import { CONTAINER_PORTS, INFERENCE_BODY_LIMIT_BYTES, NGINX_CONF_DIR } from '../spec/service-defs.ts';
import { STRATEGIES, type StackSpec, type Strategy } from '../spec/types.ts';
import {
  type BackendState,
  MODEL_PREFIX,
  nginxReturnText,
  renderedLb,
  SWITCH_DIR,
  switchFileName,
  variantHealth,
} from './lb-health.ts';

export interface UpstreamServer {
  replica: number;
  /** "ip:port" or "host:port" */
  address: string;
  weight: number;
  /**
   * Default up. draining/down stay listed but marked `down`: no new requests, and `hash`/`ip_hash` keep mapping the
   * other keys to the same replicas (nginx's advice for taking a server out temporarily).
   */
  state?: BackendState;
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
  let backends: { replica: number | null; address: string; weight: number; state: BackendState }[];
  if (flavor === 'compose') {
    // One name for all replicas; per-replica weights cannot be expressed, so `weighted` is plain round robin here.
    backends = [{ replica: null, address: `inference:${CONTAINER_PORTS.inference}`, weight: 1, state: 'up' }];
  } else {
    upstream.forEach(checkServer);
    backends = [...upstream]
      .sort((a, b) => a.replica - b.replica)
      .map((s) => ({ replica: s.replica, address: s.address, weight: s.weight, state: s.state ?? 'up' }));
  }
  const rendered = renderedLb(spec.lb, backends);
  const base = variantHealth(rendered, strategy);
  const hasServers = base.healthy > 0;
  const upstreams = STRATEGIES.map((name) => {
    let servers: TemplateServer[] = backends.map((b) => ({
      address: b.address,
      weight: name === 'weighted' && flavor === 'toolkit' ? b.weight : false,
      down: b.state !== 'up',
      replica: b.replica ?? false,
    }));
    // nginx refuses an upstream block without servers: park a placeholder that is never tried.
    if (servers.length === 0) servers = [{ address: '127.0.0.1:1', weight: false, down: true, replica: false }];
    return { name, method: strategyDirective(name, spec.lb.hashKey) ?? false, servers };
  });
  // Only the live balancer is switched by files; the compose flavour runs the strategy it was rendered with.
  const switches =
    flavor === 'toolkit'
      ? STRATEGIES.filter((s) => s !== strategy).map((s) => ({
          strategy: s,
          flag: `${NGINX_CONF_DIR}/${SWITCH_DIR}/${switchFileName(rendered.render, s)}`,
          healthJson: nginxReturnText(JSON.stringify(variantHealth(rendered, s))),
        }))
      : [];
  return template()({
    flavor,
    project: spec.project,
    strategy,
    serverCount: backends.length,
    healthy: base.healthy,
    lbModel: `${MODEL_PREFIX}${JSON.stringify(rendered)}`,
    healthJson: nginxReturnText(JSON.stringify(base)),
    upstreams,
    switches,
    // `set` runs in order, so the last match wins; listed in reverse, the first switch file wins as in /lb/health.
    switchesLastWins: [...switches].reverse(),
    hasServers,
    bodyLimitBytes: INFERENCE_BODY_LIMIT_BYTES,
    // The first try plus up to two others, but never more than there are servers (compose: DNS decides how many).
    nextUpstreamTries: flavor === 'compose' ? 3 : Math.max(1, Math.min(3, base.healthy)),
  });
}
