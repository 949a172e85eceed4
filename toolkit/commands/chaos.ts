// `toolkit chaos kill|pause`: fault injection for tests and users, under the project lock so it never lands in the
// middle of a scale.
import { killReplica, parseSignal } from '../chaos/kill.ts';
import { parseDurationMs, pauseReplica } from '../chaos/pause.ts';
import { targetChoice } from '../chaos/target.ts';
import { withLock } from '../lock.ts';
import { stackPaths } from '../paths.ts';
import { type CommandIO, printJson, type SpecOptions, specFromOptions } from './io.ts';
import { parseWaitMs } from './scale.ts';

export interface ChaosKillFlags {
  replica?: string;
  random?: boolean;
  signal?: string;
  wait?: string;
  json?: boolean;
}

export interface ChaosPauseFlags {
  replica?: string;
  for?: string;
  wait?: string;
  json?: boolean;
}

export async function chaosKillCommand(opts: SpecOptions & ChaosKillFlags, io: CommandIO): Promise<void> {
  const { replica, random, signal, wait, json, ...specOpts } = opts;
  const choice = targetChoice(replica, random);
  const sig = parseSignal(signal);
  const waitMs = parseWaitMs(wait);
  const spec = await specFromOptions(specOpts, io);
  const docker = await io.docker();
  const result = await withLock(stackPaths(spec).lockFile, 'chaos kill', { waitMs, progress: io.progress }, () =>
    killReplica(docker, spec.project, choice, sig),
  );
  if (json) return printJson(io, result);
  io.out(
    `sent ${result.signal} to ${result.container} (replica ${result.replica}, host pid ${result.pid}) with ` +
      `${result.inflight ?? 'unknown'} request(s) in flight; its restart policy brings it back (see toolkit status)`,
  );
}

export async function chaosPauseCommand(opts: SpecOptions & ChaosPauseFlags, io: CommandIO): Promise<void> {
  const { replica, for: forRaw, wait, json, ...specOpts } = opts;
  const choice = targetChoice(replica, false);
  const forMs = parseDurationMs(forRaw);
  const waitMs = parseWaitMs(wait);
  const spec = await specFromOptions(specOpts, io);
  const docker = await io.docker();
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    io.progress.step(`pausing inference replica ${replica} for ${forMs / 1000}s`);
    const result = await withLock(stackPaths(spec).lockFile, 'chaos pause', { waitMs, progress: io.progress }, () =>
      pauseReplica(docker, spec.project, choice, forMs, abort.signal),
    );
    if (json) return printJson(io, result);
    io.out(`paused ${result.container} for ${(result.pausedMs / 1000).toFixed(1)}s, then resumed it`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
