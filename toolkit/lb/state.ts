// The load-balancing settings applied to the running stack, remembered in .toolkit/<project>/lb.json so that a later
// `toolkit up` or `scale` renders nginx with them instead of silently reverting to the config file's. Precedence for
// each of strategy, hash key and weights: a flag given now > what was applied live > config file / env / default.
// `toolkit up` records what it applied; `toolkit lb strategy` records what it switched to.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError } from '../errors.ts';
import { writeFileAtomic } from '../render/write.ts';
import { FIELDS } from '../spec/fields.ts';
import type { SpecFlags, StackSpec } from '../spec/types.ts';

export type LbSettings = StackSpec['lb'];

export const LB_STATE_FILE = 'lb.json';
export const lbStatePath = (stateDir: string): string => join(stateDir, LB_STATE_FILE);

/** The applied settings, or undefined when none were recorded. A file that does not parse is an error, not a reset. */
export async function readLbState(stateDir: string): Promise<LbSettings | undefined> {
  const file = lbStatePath(stateDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuntimeError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const hint = `delete ${file} to fall back to toolkit.config.yaml, or set it again with \`toolkit lb strategy\``;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new RuntimeError(`${file} is not JSON: ${(err as Error).message}`, hint);
  }
  // The same parsers as the config file, so a hand-edited state file cannot smuggle anything into nginx.conf.
  const out: Record<string, unknown> = {};
  for (const key of ['strategy', 'hashKey', 'weights'] as const) {
    const parsed = FIELDS.find((f) => f.key === key)!.parse(doc[key]);
    if (!parsed.ok) throw new RuntimeError(`${file}: ${key}: ${parsed.reason}`, hint);
    out[key] = parsed.value;
  }
  return out as unknown as LbSettings;
}

export async function writeLbState(stateDir: string, lb: LbSettings): Promise<void> {
  const doc = { strategy: lb.strategy, hashKey: lb.hashKey, weights: lb.weights, appliedAt: new Date().toISOString() };
  await writeFileAtomic(lbStatePath(stateDir), `${JSON.stringify(doc, null, 2)}\n`);
}

export async function clearLbState(stateDir: string): Promise<void> {
  await rm(lbStatePath(stateDir), { force: true });
}

/** Field by field: a flag given now wins, then the applied state, then what the spec already holds. */
export function mergeLiveLb(spec: StackSpec, flags: SpecFlags, applied: LbSettings | undefined): StackSpec {
  if (!applied) return spec;
  const lb: LbSettings = {
    strategy: flags.strategy !== undefined ? spec.lb.strategy : applied.strategy,
    hashKey: flags.hashKey !== undefined ? spec.lb.hashKey : applied.hashKey,
    weights: flags.weights !== undefined ? spec.lb.weights : applied.weights,
  };
  return { ...spec, lb };
}

/**
 * The spec a command that (re)renders the balancer should use: `spec` (from loadSpec) with the applied settings
 * merged in. Call it where the spec is loaded for `up`/`scale`, and `writeLbState(stateDir, spec.lb)` after `up`
 * succeeded, so `up --strategy` and `lb strategy` leave the same record.
 */
export async function specWithLiveLb(spec: StackSpec, flags: SpecFlags, stateDir: string): Promise<StackSpec> {
  return mergeLiveLb(spec, flags, await readLbState(stateDir));
}
