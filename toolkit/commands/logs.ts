// `toolkit logs [service] [--replica n] [-f]`: every line prefixed with its service and replica.

import { streamLogs } from '../engine/index.ts';
import { UsageError } from '../errors.ts';
import { type CommandIO, type SpecOptions, specFromOptions } from './io.ts';

const SERVICES = ['storage', 'registry', 'trainer', 'inference', 'nginx'];

export async function logsCommand(
  service: string | undefined,
  opts: SpecOptions & { replica?: string; follow?: boolean; tail?: string },
  io: CommandIO,
): Promise<void> {
  const problems: string[] = [];
  if (service !== undefined && !SERVICES.includes(service)) {
    problems.push(`unknown service ${JSON.stringify(service)} (one of ${SERVICES.join(', ')})`);
  }
  const replica = opts.replica === undefined ? undefined : positiveInt('--replica', opts.replica, problems);
  const tail = opts.tail === undefined ? undefined : positiveInt('--tail', opts.tail, problems);
  if (problems.length > 0) throw new UsageError(problems.join('; '), 'see: toolkit logs --help');
  const spec = await specFromOptions(opts, io);
  const docker = await io.docker();
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    await streamLogs(
      docker,
      spec.project,
      { service, replica, follow: Boolean(opts.follow), tail },
      process.stdout,
      abort.signal,
    );
  } finally {
    process.off('SIGINT', stop);
  }
}

function positiveInt(flag: string, raw: string, problems: string[]): number | undefined {
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    problems.push(`${flag} ${JSON.stringify(raw)} must be a whole number ≥ 1`);
    return undefined;
  }
  return Number(raw);
}
