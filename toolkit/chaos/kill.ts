// `chaos kill`: the replica's main process gets a signal the way a crash or the OOM killer would deliver it — from
// the host, to its PID — so Docker's restart policy treats it as a failure and restarts it. (Docker's own kill API
// marks the container as stopped by hand, which switches the restart policy off: not a crash.)
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { DockerClient } from '../docker.ts';
import { inflightOf } from '../engine/drain.ts';
import { ipOnNetwork } from '../engine/query.ts';
import { RuntimeError, UsageError } from '../errors.ts';
import { CONTAINER_PORTS } from '../spec/service-defs.ts';
import { pickReplica, type TargetChoice } from './target.ts';

export interface KillResult {
  replica: number;
  container: string;
  signal: string;
  /** Host PID that got the signal. */
  pid: number;
  /** Predictions the replica was computing just before the signal (null when it did not answer). */
  inflight: number | null;
  at: string;
  /**
   * When the process was gone (a zombie or reaped; its sockets closed), for a signal that ends it: until then its
   * kernel sockets still take requests nginx writes to them. Undefined when it outlived 2 s (a handled signal).
   */
  goneAt?: string;
}

/** `KILL`, `SIGKILL` or `9` → `SIGKILL`. */
export function parseSignal(raw: string | undefined): NodeJS.Signals {
  const text = (raw ?? 'KILL').trim().toUpperCase();
  const signals = constants.signals as Record<string, number>;
  if (/^\d+$/.test(text)) {
    const name = Object.keys(signals).find((k) => signals[k] === Number(text));
    if (name) return name as NodeJS.Signals;
  } else {
    const name = text.startsWith('SIG') ? text : `SIG${text}`;
    if (name in signals) return name as NodeJS.Signals;
  }
  throw new UsageError(`--signal "${raw}" is not a signal`, 'e.g. --signal KILL, --signal TERM, --signal 9');
}

export async function killReplica(
  docker: DockerClient,
  project: string,
  choice: TargetChoice,
  signal: NodeJS.Signals,
): Promise<KillResult> {
  const c = await pickReplica(docker, project, choice);
  const info = await docker.getContainer(c.id).inspect();
  const pid = info.State.Pid;
  if (!info.State.Running || !pid) throw new UsageError(`${c.name} is not running`);
  const ip = ipOnNetwork(info, project);
  const inflight = ip ? await inflightOf(`${ip}:${CONTAINER_PORTS.inference}`) : null;
  try {
    process.kill(pid, signal);
  } catch (err) {
    throw new RuntimeError(
      `cannot signal ${c.name} (host pid ${pid}): ${(err as Error).message}`,
      'chaos kill signals the process on the Docker host: run it as root on that host',
      err,
    );
  }
  const at = new Date().toISOString();
  const gone = signal === 'SIGKILL' ? waitGone(pid, 2_000) : undefined;
  return { replica: c.number, container: c.name, signal, pid, inflight, at, goneAt: gone?.toISOString() };
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Polls /proc/<pid>/stat every 0.1 ms until the process is a zombie (Z, X) or gone: exit closes its files, sockets
 * included, before it turns into a zombie. Synchronous on purpose, for a precise stamp; bounded by `timeoutMs`.
 */
function waitGone(pid: number, timeoutMs: number): Date | undefined {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    let state: string | undefined;
    try {
      // "pid (comm) S …": the state is the first field after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return new Date();
    }
    if (state === 'Z' || state === 'X') return new Date();
    Atomics.wait(pause, 0, 0, 0.1);
  }
  return undefined;
}
