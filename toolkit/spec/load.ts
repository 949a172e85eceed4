// loadSpec: defaults ← config file ← TOOLKIT_* environment ← flags → parse → rules. Every problem from every
// source is collected with its location and reported in one UsageError, so one run shows everything to fix.
import { availableParallelism } from 'node:os';
import { UsageError } from '../errors.ts';
import { defaultFieldValues, toSpec } from './defaults.ts';
import { FIELDS, type FieldKey, type FieldValues } from './fields.ts';
import { configSource, envSource, flagSource, type Problem, type RawValue } from './sources.ts';
import type { SpecFlags, StackSpec } from './types.ts';

export interface LoadSpecInput {
  cwd: string;
  env: Record<string, string | undefined>;
  flags: SpecFlags;
  configPath?: string;
  /** CPU cores of the Docker host (cpus may be at most 4× this); defaults to this machine's. */
  hostCpus?: number;
}

export interface SpecResult {
  /** Present only when there are no problems. */
  spec?: StackSpec;
  problems: Problem[];
  warnings: string[];
}

export const formatProblem = (p: Problem): string => `${p.location}: ${p.message}`;

export async function loadSpec(input: LoadSpecInput): Promise<StackSpec> {
  const result = await resolveSpec(input);
  if (!result.spec) {
    const n = result.problems.length;
    throw new UsageError(
      `invalid configuration (${n} problem${n === 1 ? '' : 's'}):\n${result.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
      'fix the values above in toolkit.config.yaml, the TOOLKIT_* environment or the flags (flags win over the environment, the environment over the file); the settings are described in toolkit.schema.json',
    );
  }
  return result.spec;
}

/** Like loadSpec but returns problems and warnings instead of throwing (for `toolkit config --check`-style use). */
export async function resolveSpec(input: LoadSpecInput): Promise<SpecResult> {
  const sources = [await configSource(input.cwd, input.configPath), envSource(input.env), flagSource(input.flags)];
  const problems: Problem[] = sources.flatMap((s) => s.problems);
  const values = defaultFieldValues() as unknown as Record<FieldKey, unknown>;
  const where: Partial<Record<FieldKey, string>> = {};
  for (const raw of sources.flatMap((s) => s.values)) {
    const parsed = parseValue(raw);
    if (!parsed.ok) {
      problems.push({ location: raw.location, message: parsed.reason });
      continue;
    }
    values[raw.key] = parsed.value;
    where[raw.key] = raw.location;
  }
  const v = values as unknown as FieldValues;
  const warnings: string[] = [];
  problems.push(...rules(v, where, { allowZero: input.flags.allowZero === true, hostCpus: input.hostCpus }, warnings));
  return problems.length ? { problems, warnings } : { spec: toSpec(v, input.cwd), problems, warnings };
}

function parseValue(raw: RawValue) {
  const field = FIELDS.find((f) => f.key === raw.key)!;
  return field.parse(raw.raw);
}

/** Rules across settings, reported at the location of the value that won (`default` when none was given). */
export function rules(
  v: FieldValues,
  where: Partial<Record<FieldKey, string>>,
  opts: { allowZero: boolean; hostCpus?: number },
  warnings: string[],
): Problem[] {
  const problems: Problem[] = [];
  const at = (key: FieldKey) => where[key] ?? `default ${key}`;
  const add = (key: FieldKey, message: string) => problems.push({ location: at(key), message });

  if (v.replicas > v.maxReplicas) {
    // Blame the setting someone wrote: a lowered maxReplicas under the default replica count is its own fault.
    const key = where.replicas || !where.maxReplicas ? 'replicas' : 'maxReplicas';
    add(key, `replicas (${v.replicas}) must be ≤ maxReplicas (${v.maxReplicas})`);
  }
  if (v.replicas === 0 && !opts.allowZero) add('replicas', 'must be ≥ 1');

  const cores = opts.hostCpus ?? availableParallelism();
  if (v.cpus > cores * 4) add('cpus', `must be ≤ ${cores * 4} (4 × the host's ${cores} cores), got ${v.cpus}`);

  if (v.strategy === 'hash' && v.hashKey === '') add('hashKey', 'strategy hash needs a key, e.g. $remote_addr');

  const strayWeights = Object.keys(v.weights).filter((r) => Number(r) > v.replicas);
  if (strayWeights.length) {
    add('weights', `replica ${strayWeights.join(', ')} does not exist (replicas: ${v.replicas})`);
  }
  if (Object.keys(v.weights).length && v.strategy !== 'weighted') {
    warnings.push(`${at('weights')}: weights are used only with strategy weighted (strategy is ${v.strategy})`);
  }
  if (v.engine === 'local' && where.placementConstraints && v.placementConstraints.length) {
    warnings.push(`${at('placementConstraints')}: placement constraints apply only with engine swarm`);
  }
  if (!v.bind.startsWith('127.')) {
    warnings.push(`${at('bind')}: the load balancer is published on ${v.bind}, reachable beyond this machine`);
  }
  return problems;
}
