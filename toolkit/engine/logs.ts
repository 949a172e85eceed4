// `logs`: the project's container logs, demultiplexed, every line prefixed `[inference 2] `, several containers
// interleaved. Without follow, lines are merged in time order; with follow, printed as they arrive until aborted.
import { PassThrough, type Readable } from 'node:stream';
import type { DockerClient } from '../docker.ts';
import { flushNginxAccessLog } from './nginx-access-log.ts';
import { listProjectContainers, type ProjectContainer } from './query.ts';

export interface LogsOptions {
  service?: string;
  replica?: number;
  follow: boolean;
  /** Last n lines per container; all when absent. */
  tail?: number;
}

export async function streamLogs(
  docker: DockerClient,
  project: string,
  opts: LogsOptions,
  out: NodeJS.WritableStream,
  signal?: AbortSignal,
): Promise<void> {
  const containers = (await listProjectContainers(docker, project, opts.service)).filter(
    (c) => !c.oneoff && (opts.replica === undefined || c.number === opts.replica),
  );
  if (containers.length === 0) return;
  const prefixes = logPrefixes(containers);
  if (!opts.follow) {
    const all = await Promise.all(containers.map((c) => collectLines(docker, c, prefixes.get(c.id)!, opts.tail)));
    for (const line of mergeByTime(all)) out.write(`${line.text}\n`);
    return;
  }
  await Promise.all(containers.map((c) => followOne(docker, c, prefixes.get(c.id)!, opts.tail, out, signal)));
}

/** `[inference 2] ` for replicated services, `[storage] ` otherwise; padded to one width so columns line up. */
export function logPrefixes(containers: Pick<ProjectContainer, 'id' | 'service' | 'number'>[]): Map<string, string> {
  const replicated = new Set(containers.filter((c) => c.service === 'inference' || c.number > 1).map((c) => c.service));
  const raw = containers.map((c) => [
    c.id,
    replicated.has(c.service) ? `[${c.service} ${c.number}]` : `[${c.service}]`,
  ]);
  const width = Math.max(...raw.map(([, p]) => p.length));
  return new Map(raw.map(([id, p]) => [id, `${p.padEnd(width)} `]));
}

/** Splits a byte stream into lines (a partial last line waits for the rest), calling `onLine` per line. */
export function lineSplitter(onLine: (line: string) => void): { write(chunk: Buffer): void; end(): void } {
  let rest = '';
  return {
    write(chunk) {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) onLine(p.replace(/\r$/, ''));
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

interface TimedLine {
  time: string;
  text: string;
}

async function collectLines(docker: DockerClient, c: ProjectContainer, prefix: string, tail?: number) {
  // nginx holds up to 1 s of access lines in its buffer; a one-shot read should show the latest.
  if (c.service === 'nginx') await flushNginxAccessLog(docker, c.id);
  const buf = (await docker.getContainer(c.id).logs({
    stdout: true,
    stderr: true,
    follow: false,
    timestamps: true,
    ...(tail ? { tail } : {}),
  })) as unknown as Buffer;
  const lines: TimedLine[] = [];
  const push = (line: string) => {
    // Docker puts an RFC 3339 timestamp with nanoseconds and a space before every line.
    const sp = line.indexOf(' ');
    lines.push({ time: line.slice(0, sp), text: prefix + line.slice(sp + 1) });
  };
  await demuxInto(docker, toStream(buf), push);
  return lines;
}

/** k sorted lists → one, ordered by timestamp (fixed-width RFC 3339 strings sort as text). */
export function mergeByTime(lists: TimedLine[][]): TimedLine[] {
  return lists.flat().sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

async function followOne(
  docker: DockerClient,
  c: ProjectContainer,
  prefix: string,
  tail: number | undefined,
  out: NodeJS.WritableStream,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted) return;
  const stream = (await docker.getContainer(c.id).logs({
    stdout: true,
    stderr: true,
    follow: true,
    ...(tail ? { tail } : {}),
  })) as unknown as Readable;
  const onAbort = () => stream.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await demuxInto(docker, stream, (line) => out.write(`${prefix}${line}\n`));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Demultiplexes stdout and stderr separately (so their partial lines never mix), resolving when the stream ends. */
function demuxInto(docker: DockerClient, stream: Readable, onLine: (line: string) => void): Promise<void> {
  const outLines = lineSplitter(onLine);
  const errLines = lineSplitter(onLine);
  const sink = (s: ReturnType<typeof lineSplitter>) => {
    const p = new PassThrough();
    p.on('data', (chunk: Buffer) => s.write(chunk));
    return p;
  };
  docker.modem.demuxStream(stream, sink(outLines), sink(errLines));
  return new Promise<void>((resolve) => {
    const done = () => {
      outLines.end();
      errLines.end();
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}

function toStream(buf: Buffer): Readable {
  const p = new PassThrough();
  p.end(buf);
  return p;
}
