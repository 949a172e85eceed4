// Every StackSpec setting once: where it lives in the config file, its TOOLKIT_* variable, its flag, and how a
// raw value (a YAML scalar, an env string, a CLI string) becomes a typed one. Range checks that need no other
// setting live here too, so a bad value is reported at the source that wrote it even when a later one wins.
import { isIPv4 } from 'node:net';
import { ENGINES, type EngineKind, STRATEGIES, type Strategy } from './types.ts';

export interface FieldValues {
  project: string;
  replicas: number;
  maxReplicas: number;
  port: number;
  bind: string;
  strategy: Strategy;
  hashKey: string;
  weights: Record<string, number>;
  cpus: number;
  memory: number;
  model: { name: string; alias: string };
  gracePeriod: number;
  maxInflight: number;
  maxInstances: number;
  pollInterval: number;
  nodeBase: string;
  nginxBase: string;
  bootstrapImages: 'auto' | 'always' | 'never';
  engine: EngineKind;
  placementConstraints: string[];
  placementSpread: string;
}
export type FieldKey = keyof FieldValues;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (reason: string): Parsed<never> => ({ ok: false, reason });

export interface FieldDef<K extends FieldKey = FieldKey> {
  key: K;
  /** Dotted path in toolkit.config.yaml. */
  configPath: string;
  env: string;
  flag: string;
  parse(raw: unknown): Parsed<FieldValues[K]>;
}

function int(min: number, max: number, unit = ''): (raw: unknown) => Parsed<number> {
  return (raw) => {
    const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    if (!/^-?\d+(\.\d+)?$/.test(text)) return bad('not a number');
    const n = Number(text);
    if (!Number.isInteger(n)) return bad(`must be a whole number, got ${text}`);
    if (n < min) return bad(`must be ≥ ${min}${unit}, got ${n}`);
    if (n > max) return bad(`must be ≤ ${max}${unit}, got ${n}`);
    return ok(n);
  };
}

function pattern(re: RegExp, what: string): (raw: unknown) => Parsed<string> {
  return (raw) => {
    if (typeof raw !== 'string') return bad('must be a string');
    return re.test(raw) ? ok(raw) : bad(`${JSON.stringify(raw)} is not ${what}`);
  };
}

function oneOf<T extends string>(values: readonly T[]): (raw: unknown) => Parsed<T> {
  return (raw) =>
    typeof raw === 'string' && (values as readonly string[]).includes(raw)
      ? ok(raw as T)
      : bad(`${JSON.stringify(raw)} is not one of ${values.join(', ')}`);
}

function cpus(raw: unknown): Parsed<number> {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (!/^-?\d*\.?\d+$/.test(text)) return bad('not a number');
  const n = Number(text);
  return n > 0 ? ok(n) : bad('must be > 0');
}

const MEMORY_UNITS: Record<string, number> = { '': 1, k: 1 / 1024, m: 1, g: 1024 };
export const MIN_MEMORY_MIB = 64;

/** `512m`, `1g`, `1.5g`, `65536k` or a plain number of MiB (compose's suffixes; a bare number means MiB here). */
function memory(raw: unknown): Parsed<number> {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  const m = /^(\d*\.?\d+)\s*([kmg])?(i?b)?$/.exec(text);
  if (!m) return bad(`${JSON.stringify(raw)} is not a size like 512m, 1g or a number of MiB`);
  const mib = Math.floor(Number(m[1]) * MEMORY_UNITS[m[2] ?? '']);
  if (mib < MIN_MEMORY_MIB) return bad(`must be ≥ ${MIN_MEMORY_MIB} MiB, got ${mib} MiB`);
  return ok(mib);
}

const MODEL_RE = /^([A-Za-z0-9][A-Za-z0-9._-]{0,99})@([A-Za-z][A-Za-z0-9_-]{0,63})$/;
function model(raw: unknown): Parsed<{ name: string; alias: string }> {
  const m = typeof raw === 'string' ? MODEL_RE.exec(raw) : null;
  return m
    ? ok({ name: m[1], alias: m[2] })
    : bad(`${JSON.stringify(raw)} is not name@alias (e.g. penguins@production)`);
}

/** Seconds, optionally written with an `s` suffix. */
function seconds(min: number, max: number): (raw: unknown) => Parsed<number> {
  const whole = int(min, max, ' s');
  return (raw) => whole(typeof raw === 'string' ? raw.trim().replace(/s$/, '') : raw);
}

/** Goes into nginx's `hash` directive verbatim, so only variables and plain characters, nothing that ends a line. */
const HASH_KEY_RE = /^(\$[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9_.:-])*$/;
function hashKey(raw: unknown): Parsed<string> {
  if (typeof raw !== 'string') return bad('must be a string');
  return HASH_KEY_RE.test(raw) ? ok(raw) : bad(`${JSON.stringify(raw)} is not an nginx key like $remote_addr`);
}

export const MAX_WEIGHT = 100;
/** `{ "1": 3, "2": 1 }` from the config file, or `1=3,2=1` from env and flags. */
function weights(raw: unknown): Parsed<Record<string, number>> {
  let entries: [string, unknown][];
  if (typeof raw === 'string') {
    const parts = raw
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const pairs = parts.map((p) => /^(\S+?)\s*[=:]\s*(\S+)$/.exec(p));
    if (pairs.some((p) => !p)) return bad(`${JSON.stringify(raw)} is not a list like 1=3,2=1 (replica=weight)`);
    entries = pairs.map((p) => [p![1], p![2]]);
  } else if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    entries = Object.entries(raw);
  } else return bad('must be a mapping of replica number to weight');
  const out: Record<string, number> = {};
  const weight = int(1, MAX_WEIGHT);
  for (const [replica, w] of entries) {
    if (!/^[1-9]\d*$/.test(replica)) return bad(`replica ${JSON.stringify(replica)} is not a replica number (1, 2, …)`);
    const parsed = weight(w);
    if (!parsed.ok) return bad(`weight of replica ${replica}: ${parsed.reason}`);
    out[replica] = parsed.value;
  }
  return ok(out);
}

function bind(raw: unknown): Parsed<string> {
  return typeof raw === 'string' && isIPv4(raw) ? ok(raw) : bad(`${JSON.stringify(raw)} is not an IPv4 address`);
}

/** The CLI's `--bootstrap-images` is a switch; config and env name the mode. */
function bootstrap(raw: unknown): Parsed<'auto' | 'always' | 'never'> {
  if (raw === true || raw === 'true') return ok('always');
  if (raw === false || raw === 'false') return ok('never');
  return oneOf(['auto', 'always', 'never'] as const)(raw);
}

/**
 * Swarm's constraint grammar (`<attribute> ==|!= <value>`), attributes limited to the ones Swarm knows, so a typo is
 * a usage error here rather than a task pending forever. Whether a named node label exists is checked against the
 * cluster before anything is created (toolkit/engine/swarm/preflight.ts).
 */
const CONSTRAINT_RE =
  /^(node\.(id|hostname|role|platform\.os|platform\.arch|labels\.[A-Za-z0-9_.-]+)|engine\.labels\.[A-Za-z0-9_.-]+)\s*(==|!=)\s*[A-Za-z0-9_.:-]+$/;
function constraints(raw: unknown): Parsed<string[]> {
  const list =
    typeof raw === 'string'
      ? raw.split(/[;,]/)
      : Array.isArray(raw) && raw.every((c) => typeof c === 'string')
        ? (raw as string[])
        : null;
  if (!list) return bad('must be a list of constraints like node.role==manager');
  const items = list.map((c) => c.trim()).filter(Boolean);
  const wrong = items.find((c) => !CONSTRAINT_RE.test(c));
  if (wrong !== undefined) {
    return bad(`${JSON.stringify(wrong)} is not a constraint like node.role==manager or node.labels.zone!=b`);
  }
  return ok(items);
}

/** A spread preference's descriptor: `node.id`, `node.labels.<name>`, `engine.labels.<name>`, or '' for none. */
function spread(raw: unknown): Parsed<string> {
  if (typeof raw !== 'string') return bad('must be a string');
  const text = raw.trim();
  return text === '' || /^(node\.id|node\.hostname|(node|engine)\.labels\.[A-Za-z0-9_.-]+)$/.test(text)
    ? ok(text)
    : bad(`${JSON.stringify(raw)} is not node.id, node.hostname or node.labels.<name>`);
}

const IMAGE_RE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/;

const f = <K extends FieldKey>(
  key: K,
  configPath: string,
  env: string,
  flag: string,
  parse: (raw: unknown) => Parsed<FieldValues[K]>,
): FieldDef<K> => ({ key, configPath, env, flag, parse });

export const FIELDS: FieldDef[] = [
  f(
    'project',
    'project',
    'TOOLKIT_PROJECT',
    '--project',
    pattern(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a project name (a-z, 0-9, _ and -, starting with a letter or digit)'),
  ),
  f('replicas', 'replicas', 'TOOLKIT_REPLICAS', '--replicas', int(0, 1000)),
  f('maxReplicas', 'maxReplicas', 'TOOLKIT_MAX_REPLICAS', '--max-replicas', int(1, 1000)),
  f('port', 'port', 'TOOLKIT_PORT', '--port', int(1, 65535)),
  f('bind', 'bind', 'TOOLKIT_BIND', '--bind', bind),
  f('strategy', 'lb.strategy', 'TOOLKIT_STRATEGY', '--strategy', oneOf(STRATEGIES)),
  f('hashKey', 'lb.hashKey', 'TOOLKIT_HASH_KEY', '--hash-key', hashKey),
  f('weights', 'lb.weights', 'TOOLKIT_WEIGHTS', '--weights', weights),
  f('cpus', 'resources.cpus', 'TOOLKIT_CPUS', '--cpus', cpus),
  f('memory', 'resources.memory', 'TOOLKIT_MEMORY', '--memory', memory),
  f('model', 'model', 'TOOLKIT_MODEL', '--model', model),
  f('gracePeriod', 'gracePeriod', 'TOOLKIT_GRACE_PERIOD', '--grace-period', seconds(1, 600)),
  f('maxInflight', 'inference.maxInflight', 'TOOLKIT_MAX_INFLIGHT', '--max-inflight', int(1, 10_000)),
  f('maxInstances', 'inference.maxInstances', 'TOOLKIT_MAX_INSTANCES', '--max-instances', int(1, 100_000)),
  f('pollInterval', 'inference.pollInterval', 'TOOLKIT_POLL_INTERVAL', '--poll-interval', seconds(1, 3600)),
  f('nodeBase', 'images.nodeBase', 'TOOLKIT_NODE_BASE', '--node-base', pattern(IMAGE_RE, 'an image reference')),
  f('nginxBase', 'images.nginxBase', 'TOOLKIT_NGINX_BASE', '--nginx-base', pattern(IMAGE_RE, 'an image reference')),
  f('bootstrapImages', 'images.bootstrap', 'TOOLKIT_BOOTSTRAP_IMAGES', '--bootstrap-images', bootstrap),
  f('engine', 'engine', 'TOOLKIT_ENGINE', '--engine', oneOf(ENGINES)),
  f(
    'placementConstraints',
    'placement.constraints',
    'TOOLKIT_PLACEMENT_CONSTRAINTS',
    '--placement-constraints',
    constraints,
  ),
  f('placementSpread', 'placement.spread', 'TOOLKIT_PLACEMENT_SPREAD', '--placement-spread', spread),
] as FieldDef[];

/** Flag property names (camelCase, as commander produces them) for each field. */
export function flagProperty(field: FieldDef): string {
  return field.flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
