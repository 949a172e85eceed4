// Run identity and provenance: a sortable run id and the machine a result was measured on, so figures from
// different runs can be compared (or not) knowingly.
import { randomBytes } from 'node:crypto';
import { cpus, platform, release, totalmem } from 'node:os';

/** YYYYMMDD-HHMMSS-xxxx in UTC: sorts by start time; the random suffix keeps same-second runs apart. */
export function makeRunId(now: Date = new Date(), suffix: string = randomBytes(2).toString('hex')): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  const time = `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${date}-${time}-${suffix}`;
}

export interface MachineInfo {
  cores: number;
  memoryMiB: number;
  os: string;
  node: string;
  cpuModel: string;
  k6: string;
}

export function machineInfo(k6: string): MachineInfo {
  const list = cpus();
  return {
    cores: list.length,
    memoryMiB: Math.round(totalmem() / 1024 / 1024),
    os: `${platform()} ${release()}`,
    node: process.version,
    cpuModel: list[0]?.model ?? 'unknown',
    k6,
  };
}
