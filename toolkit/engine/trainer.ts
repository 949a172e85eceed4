// The one-shot trainer runs only when needed: no successfully completed trainer container for this project,
// or the model alias does not resolve in the registry (e.g. after `down --volumes`).

import { RuntimeError } from '../errors.ts';
import type { ServiceDef } from '../spec/service-defs.ts';
import { execIn } from './exec.ts';
import { containerName } from './labels.ts';
import { listProjectContainers } from './query.ts';
import { createAndStart, stopAndRemove } from './resources.ts';
import { createOptions, type Run } from './service.ts';
import { waitCompleted } from './wait.ts';

export async function ensureTrained(run: Run, def: ServiceDef, registry: { id: string; port: number }): Promise<void> {
  const { docker } = run;
  const { name: model, alias } = run.ctx.spec.model;
  const trainers = await listProjectContainers(docker, run.project, 'trainer');
  let completed = false;
  for (const c of trainers) {
    if (c.state !== 'exited') continue;
    const info = await docker.getContainer(c.id).inspect();
    if (info.State.ExitCode === 0) completed = true;
  }
  if (completed && (await aliasResolves(run, registry, model, alias))) {
    run.progress.info(`trainer: ${model}@${alias} already registered`);
    return;
  }
  for (const c of trainers) await stopAndRemove(docker, c.id);
  const name = containerName(run.project, def.name, 1);
  run.progress.step(`training ${model}@${alias} (${name})`);
  const id = await createAndStart(docker, createOptions(run, def, 1));
  await waitCompleted(docker, { id, name, service: def.name }, { timeoutMs: run.timeouts.trainerMs });
  if (!(await aliasResolves(run, registry, model, alias))) {
    throw new RuntimeError(
      `trainer (${name}) exited 0 but ${model}@${alias} does not resolve in the registry`,
      `check \`docker logs ${name}\` and that the trainer's MODEL matches the spec's model`,
    );
  }
}

/**
 * Asks the registry from inside its own container (node is there), so this works wherever the engine runs,
 * also where the host cannot reach container addresses.
 */
async function aliasResolves(
  run: Run,
  registry: { id: string; port: number },
  model: string,
  alias: string,
): Promise<boolean> {
  const url = `http://127.0.0.1:${registry.port}/api/2.0/mlflow/registered-models/alias?name=${encodeURIComponent(model)}&alias=${encodeURIComponent(alias)}`;
  const script = `fetch(${JSON.stringify(url)}).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(2))`;
  try {
    const { exitCode } = await execIn(run.docker, registry.id, ['node', '-e', script]);
    return exitCode === 0;
  } catch {
    return false;
  }
}
