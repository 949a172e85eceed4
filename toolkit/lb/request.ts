// `toolkit lb strategy <name> [--key K] [--weights 1=3,2=1]` as settings, validated before anything is touched:
// every problem is reported together and nothing changes (exit 2).
import { UsageError } from '../errors.ts';
import { FIELDS } from '../spec/fields.ts';
import { STRATEGIES, type Strategy } from '../spec/types.ts';
import type { LbSettings } from './state.ts';

export interface StrategyRequest {
  name: string;
  /** nginx hash key, e.g. `$http_x_user`; required with (and only with) `hash`. */
  key?: string;
  /** `1=3,2=1`; only with `weighted`. Replicas left out weigh 1. */
  weights?: string;
}

const HINT = "e.g. toolkit lb strategy least_conn | weighted --weights 1=3,2=1 | hash --key '$http_x_user'";

/**
 * The settings to apply. `replicas` are the replica numbers that exist now: weights may name only those (left out,
 * that check is skipped: the first pass, before Docker is asked). `weighted` without --weights keeps the weights
 * applied before; a hash key is never guessed.
 */
export function resolveStrategyRequest(req: StrategyRequest, current: LbSettings, replicas?: number[]): LbSettings {
  const problems: string[] = [];
  const known = (STRATEGIES as readonly string[]).includes(req.name);
  if (!known) problems.push(`unknown strategy ${JSON.stringify(req.name)} (one of ${STRATEGIES.join(', ')})`);
  const strategy = req.name as Strategy;

  let hashKey = current.hashKey;
  if (req.key !== undefined) {
    const parsed = field('hashKey').parse(req.key);
    if (!parsed.ok) problems.push(`--key: ${parsed.reason}`);
    else if (parsed.value === '') problems.push('--key: must not be empty');
    else hashKey = parsed.value as string;
    if (known && strategy !== 'hash') problems.push(`--key applies only to strategy hash, not ${strategy}`);
  } else if (strategy === 'hash') {
    problems.push("strategy hash needs a key: --key '$remote_addr', --key '$http_x_user', …");
  }

  let weights = current.weights;
  if (req.weights !== undefined) {
    const parsed = field('weights').parse(req.weights);
    if (!parsed.ok) problems.push(`--weights: ${parsed.reason}`);
    else {
      weights = parsed.value as Record<string, number>;
      const missing = replicas ? Object.keys(weights).filter((r) => !replicas.includes(Number(r))) : [];
      if (replicas && missing.length > 0) {
        const have = replicas.length ? replicas.join(', ') : 'none';
        problems.push(`--weights: replica ${missing.join(', ')} does not exist (replicas: ${have})`);
      }
    }
    if (known && strategy !== 'weighted') problems.push(`--weights applies only to strategy weighted, not ${strategy}`);
  }

  if (problems.length > 0) throw new UsageError(`nothing changed: ${problems.join('; ')}`, HINT);
  return { strategy, hashKey, weights };
}

const field = (key: 'hashKey' | 'weights') => FIELDS.find((f) => f.key === key)!;
