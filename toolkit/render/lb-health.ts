// The load balancer's own view of itself. Every rendered config holds one upstream per strategy over the same
// servers, and picks one per request: the spec's strategy, unless a switch file `<dir>/switch/<render>.<strategy>`
// exists (`if (-f …)` is checked per request). So `toolkit lb strategy` switches without a reload: a reload's old
// workers close idle kept-alive client connections, and a request racing that close fails.
// GET /lb/health answers the snapshot of the strategy in force (nginx OSS has no API for live upstream state); the
// same model heads the config as a `# toolkit-lb:` comment so the toolkit can read back what nginx was given.
import { createHash } from 'node:crypto';
import { RuntimeError } from '../errors.ts';
import { STRATEGIES, type StackSpec, type Strategy } from '../spec/types.ts';

/** up: in the rotation; draining: leaving it (rendered `down`); down: kept in the list but never tried. */
export type BackendState = 'up' | 'draining' | 'down';

export interface LbHealthBackend {
  /** null in the compose flavour, where one DNS name stands for every replica. */
  replica: number | null;
  address: string;
  /** The weight nginx applies: the replica's weight with `weighted`, 1 with every other strategy. */
  weight: number;
  state: BackendState;
}

export const HEALTH_SOURCE = 'toolkit view at the last render or switch; nginx passive health (max_fails) is not in it';

export interface LbHealth {
  strategy: Strategy;
  /** Only for strategy hash. */
  hash_key?: string;
  healthy: number;
  backends: LbHealthBackend[];
  /** Content id of this snapshot: lets a caller confirm a switch or reload has taken effect. */
  config: string;
  source: typeof HEALTH_SOURCE;
}

/** What one render gave nginx: the default strategy, the hash key and weights of its variants, the servers. */
export interface RenderedLb {
  /** Id of the render: switch files carry it, so a later render ignores switches made to an earlier one. */
  render: string;
  strategy: Strategy;
  hash_key: string;
  /** Replica → weight as the weighted upstream has them. */
  weights: Record<string, number>;
  backends: { replica: number | null; address: string; state: BackendState }[];
}

export function renderedLb(
  lb: StackSpec['lb'],
  backends: { replica: number | null; address: string; weight: number; state: BackendState }[],
): RenderedLb {
  const weights: Record<string, number> = {};
  for (const b of backends) if (b.replica !== null) weights[String(b.replica)] = b.weight;
  const base = {
    strategy: lb.strategy,
    hash_key: lb.hashKey,
    weights,
    backends: backends.map(({ replica, address, state }) => ({ replica, address, state })),
  };
  const render = createHash('sha256').update(JSON.stringify(base)).digest('hex').slice(0, 12);
  return { render, ...base };
}

/** /lb/health's body when `strategy` is in force over what `r` rendered. */
export function variantHealth(r: RenderedLb, strategy: Strategy): LbHealth {
  const backends = r.backends.map((b) => ({
    replica: b.replica,
    address: b.address,
    weight: strategy === 'weighted' && b.replica !== null ? (r.weights[String(b.replica)] ?? 1) : 1,
    state: b.state,
  }));
  const body = {
    strategy,
    ...(strategy === 'hash' ? { hash_key: r.hash_key } : {}),
    healthy: backends.filter((b) => b.state === 'up').length,
    backends,
  };
  const config = createHash('sha256')
    .update(`${r.render} ${JSON.stringify(body)}`)
    .digest('hex')
    .slice(0, 12);
  return { ...body, config, source: HEALTH_SOURCE };
}

export const allVariants = (r: RenderedLb): LbHealth[] => STRATEGIES.map((s) => variantHealth(r, s));

/** The switch file's name (inside `<conf dir>/switch/`) that puts `strategy` in force over render `render`. */
export const switchFileName = (render: string, strategy: Strategy): string => `${render}.${strategy}`;
export const SWITCH_DIR = 'switch';

/** The `# toolkit-lb:` header line's prefix. */
export const MODEL_PREFIX = '# toolkit-lb: ';

/**
 * JSON as the text of nginx's `return 200 '...'`: a `$` would start a variable, so it becomes `${toolkit_dollar}`
 * (a `geo` variable whose value is "$"). Quotes, backslashes and line breaks would end or bend the string; the
 * values we render never hold them (addresses and hash keys are validated), so meeting one is a bug.
 */
export function nginxReturnText(json: string): string {
  if (/['\\\n\r]/.test(json)) throw new RuntimeError(`cannot render ${json} as an nginx string`);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an nginx variable reference, not a JS template
  return json.replaceAll('$', '${toolkit_dollar}');
}

/** The model a rendered config carries in its `# toolkit-lb:` line, or undefined when it has none (older configs). */
export function readRenderedLb(conf: string): RenderedLb | undefined {
  const line = conf.split('\n').find((l) => l.startsWith(MODEL_PREFIX));
  if (!line) return undefined;
  try {
    const model = JSON.parse(line.slice(MODEL_PREFIX.length)) as RenderedLb;
    const ok = Array.isArray(model.backends) && (STRATEGIES as readonly string[]).includes(model.strategy);
    return ok && typeof model.render === 'string' ? model : undefined;
  } catch {
    return undefined;
  }
}
