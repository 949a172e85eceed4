// The scenarios the runner knows, and which load models each supports: shaped scenarios fix their own
// executor, so asking ramp for an arrival rate is a mistake to report, not to ignore.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadModel } from './types.ts';

export interface ScenarioInfo {
  models: LoadModel[];
  /** The model used when neither --users nor --rate is given. */
  defaultModel: LoadModel;
}

export const SCENARIOS: Record<string, ScenarioInfo> = {
  predict: { models: ['closed', 'open'], defaultModel: 'closed' },
  health: { models: ['closed', 'open'], defaultModel: 'closed' },
  mixed: { models: ['closed', 'open'], defaultModel: 'closed' },
  ramp: { models: ['closed'], defaultModel: 'closed' },
  spike: { models: ['closed'], defaultModel: 'closed' },
  'open-model': { models: ['open'], defaultModel: 'open' },
};

/** Defaults the scripts apply too (loadtests/lib/config.ts), repeated here so results can name them. */
export const DEFAULT_USERS = 10;
export const DEFAULT_RATE = 20;

/** The scripts ship with the toolkit, next to this package, whatever directory the user runs it in. */
export const LOADTESTS_DIR = fileURLToPath(new URL('../../loadtests/', import.meta.url));

export function scriptPath(scenario: string, dir: string = LOADTESTS_DIR): string {
  return join(dir, `${scenario}.ts`);
}
