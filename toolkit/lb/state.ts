// The load-balancing settings of the running stack live in the spec the engine saves after every converge
// (.toolkit/<project>/spec.json, engine/saved-spec.ts): `toolkit scale` starts from it, `toolkit up` records what it
// applied there (so `up --strategy` and `lb strategy` leave the same record), and `lb strategy` updates its `lb`
// once nginx serves the switch. `specWithLiveLb` lets a command that renders the balancer from config + flags keep
// it: per field (strategy, hash key, weights) a flag given now > the saved spec > config file / env / default.
import { readFile } from 'node:fs/promises';
import { savedSpecFile } from '../engine/saved-spec.ts';
import { RuntimeError } from '../errors.ts';
import { writeFileAtomic } from '../render/write.ts';
import { FIELDS } from '../spec/fields.ts';
import type { SpecFlags, StackSpec } from '../spec/types.ts';

export type LbSettings = StackSpec['lb'];
type Where = Pick<StackSpec, 'cwd' | 'project'>;

async function readDoc(file: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuntimeError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new RuntimeError(`${file} is not JSON: ${(err as Error).message}`, `run \`toolkit up\` to write it again`);
  }
}

/** The saved spec's lb settings, or undefined when no spec was saved (the stack was never converged). */
export async function readLbState(where: Where): Promise<LbSettings | undefined> {
  const file = savedSpecFile(where);
  const doc = await readDoc(file);
  if (!doc) return undefined;
  const lb = (doc.lb ?? {}) as Record<string, unknown>;
  // The same parsers as the config file, so a hand-edited file cannot smuggle anything into nginx.conf.
  const out: Record<string, unknown> = {};
  for (const key of ['strategy', 'hashKey', 'weights'] as const) {
    const parsed = FIELDS.find((f) => f.key === key)!.parse(lb[key]);
    if (!parsed.ok)
      throw new RuntimeError(`${file}: lb.${key}: ${parsed.reason}`, 'run `toolkit up` to write it again');
    out[key] = parsed.value;
  }
  return out as unknown as LbSettings;
}

/** Records `lb` in the saved spec, keeping the rest of it; false when there is none to update. */
export async function writeLbState(where: Where, lb: LbSettings): Promise<boolean> {
  const file = savedSpecFile(where);
  const doc = await readDoc(file);
  if (!doc) return false;
  doc.lb = { strategy: lb.strategy, hashKey: lb.hashKey, weights: lb.weights };
  await writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);
  return true;
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

/** `spec` (from loadSpec with `flags`) with the running stack's lb settings merged in; see the header. */
export async function specWithLiveLb(spec: StackSpec, flags: SpecFlags): Promise<StackSpec> {
  return mergeLiveLb(spec, flags, await readLbState(spec));
}
