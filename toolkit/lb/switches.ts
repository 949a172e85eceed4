// Switch files pick the strategy per request without a reload (see nginx/nginx.conf.hbs); these remove them.
// Kept free of engine imports so the engine can call it without an import cycle.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SWITCH_DIR } from '../render/lb-health.ts';

/**
 * For the engine: call after every config it puts in force (`up`, `scale`, reload), even an unchanged one, so the
 * spec it applied is what nginx runs. Otherwise a switch made by `lb strategy` outlives an `up --strategy X` that
 * re-renders the very config the switch was made on.
 */
export async function clearLbSwitches(liveNginxDir: string): Promise<void> {
  await clearSwitches(join(liveNginxDir, SWITCH_DIR));
}

/** Removes every switch file but `keep`. */
export async function clearSwitches(switchDir: string, keep?: string): Promise<void> {
  const names = await readdir(switchDir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n !== keep).map((n) => rm(join(switchDir, n), { force: true })));
}
