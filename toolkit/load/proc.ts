// Load-generator health from Linux /proc: how much CPU k6 used and how idle the host stayed. A load test whose
// generator starved for CPU measures the generator, not the service, so the result says so.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

export interface HostCpu {
  /** Jiffies spent idle (idle + iowait). */
  idle: number;
  /** Jiffies in all states except guest (already counted in user). */
  total: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): HostCpu {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) throw new Error('/proc/stat: no aggregate cpu line');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return { idle: idle + iowait, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** utime + stime (jiffies) from /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function parsePidStat(text: string): number {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('/proc/<pid>/stat: unexpected format');
  return utime + stime;
}

export function idlePercent(before: HostCpu, after: HostCpu): number | null {
  const total = after.total - before.total;
  return total > 0 ? ((after.idle - before.idle) / total) * 100 : null;
}

export async function readHostCpu(): Promise<HostCpu | null> {
  try {
    return parseProcStat(await readFile('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}

export async function readProcessTicks(pid: number): Promise<number | null> {
  try {
    return parsePidStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Jiffies per second (USER_HZ); 100 on every mainstream Linux, asked of the system anyway. */
export async function clockTicks(): Promise<number> {
  try {
    const { stdout } = await promisify(execFile)('getconf', ['CLK_TCK']);
    const n = Number(stdout.trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/**
 * Samples children's CPU ticks every second while they run (a /proc entry is gone once its process exits, so the
 * last sample stands for the total), and the host's idle time from start to stop. Several PIDs (K k6 processes
 * sharing one load) add up: the result is their CPU together, in percent of one core.
 */
export class GeneratorSampler {
  private hostStart: HostCpu | null = null;
  private readonly pids: number[];
  private readonly lastTicks = new Map<number, number>();
  private readonly sampledAt = new Map<number, number>();
  private timer?: NodeJS.Timeout;
  private startedAt = 0;

  constructor(pid: number | number[]) {
    this.pids = Array.isArray(pid) ? pid : [pid];
  }

  async start(): Promise<void> {
    this.startedAt = Date.now();
    this.hostStart = await readHostCpu();
    this.timer = setInterval(() => void this.sample(), 1000);
  }

  private async sample(): Promise<void> {
    await Promise.all(
      this.pids.map(async (pid) => {
        const ticks = await readProcessTicks(pid);
        if (ticks !== null) {
          this.lastTicks.set(pid, ticks);
          this.sampledAt.set(pid, Date.now());
        }
      }),
    );
  }

  /** Call just before the children's exit is observed, or right after; returns the averages over the run. */
  async stop(): Promise<{ cpuPercent: number | null; hostIdlePercent: number | null; perProcess: (number | null)[] }> {
    clearInterval(this.timer);
    await this.sample();
    const hostEnd = await readHostCpu();
    const hz = await clockTicks();
    const perProcess = this.pids.map((pid) => {
      const ticks = this.lastTicks.get(pid);
      const seconds = ((this.sampledAt.get(pid) ?? 0) - this.startedAt) / 1000;
      return ticks !== undefined && seconds > 0 ? (ticks / hz / seconds) * 100 : null;
    });
    const known = perProcess.filter((c): c is number => c !== null);
    return {
      cpuPercent: known.length === perProcess.length ? known.reduce((a, b) => a + b, 0) : null,
      hostIdlePercent: this.hostStart && hostEnd ? idlePercent(this.hostStart, hostEnd) : null,
      perProcess,
    };
  }
}
