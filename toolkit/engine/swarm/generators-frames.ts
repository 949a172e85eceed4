// Reading a k6 task's results back from its stdout. The task's entrypoint (docker/k6-task.sh) prints each file k6
// left under /tmp/k6 between marker lines, base64 (gzipped first unless the file already is), then k6's exit
// status. The manager reads that stdout through the service logs API whichever node ran the task; pure, so the
// unit tests feed it text.
import { gunzipSync } from 'node:zlib';

export const FRAME = {
  file: '@@toolkit-file',
  end: '@@toolkit-end',
  exit: '@@toolkit-exit',
} as const;

export interface TaskOutput {
  /** File name → bytes, as k6 wrote them. */
  files: Map<string, Buffer>;
  /** k6's exit status as the entrypoint saw it; null when the task ended before printing it. */
  exitCode: number | null;
  /** What was wrong with the framing (a file cut short, bad base64…); empty when all is well. */
  problems: string[];
}

const ENCODINGS = new Set(['base64', 'gzip+base64']);
// Only file names k6 writes: never a path, so a frame cannot write outside the slice's directory.
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Parses everything the entrypoint printed; lines outside frames (none expected) are ignored. */
export function parseTaskOutput(stdout: string): TaskOutput {
  const files = new Map<string, Buffer>();
  const problems: string[] = [];
  let exitCode: number | null = null;
  let open: { name: string; encoding: string; chunks: string[] } | null = null;
  for (const raw of stdout.split('\n')) {
    const line = raw.trimEnd();
    if (open) {
      if (line === `${FRAME.end} ${open.name}`) {
        const data = decode(open.chunks.join(''), open.encoding, open.name, problems);
        if (data) files.set(open.name, data);
        open = null;
      } else if (line.startsWith('@@toolkit-')) {
        problems.push(`${open.name}: cut short by "${line.slice(0, 60)}"`);
        open = null;
      } else {
        open.chunks.push(line);
        continue;
      }
    }
    if (line.startsWith(`${FRAME.file} `)) {
      const parts: string[] = line.slice(FRAME.file.length + 1).split(' ');
      const name = parts[0] ?? '';
      const encoding = parts[1] ?? '';
      if (!SAFE_NAME.test(name) || !ENCODINGS.has(encoding)) {
        problems.push(`unexpected frame header "${line.slice(0, 80)}"`);
        continue;
      }
      open = { name, encoding, chunks: [] };
    } else if (line.startsWith(`${FRAME.exit} `)) {
      const code = Number(line.slice(FRAME.exit.length + 1));
      if (Number.isInteger(code) && code >= 0 && code <= 255) exitCode = code;
      else problems.push(`unreadable exit status "${line}"`);
    }
  }
  if (open) problems.push(`${open.name}: no end marker (the log stops inside it)`);
  return { files, exitCode, problems };
}

function decode(text: string, encoding: string, name: string, problems: string[]): Buffer | null {
  if (!/^[A-Za-z0-9+/=]*$/.test(text)) {
    problems.push(`${name}: not base64`);
    return null;
  }
  const bytes = Buffer.from(text, 'base64');
  if (encoding === 'base64') return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    problems.push(`${name}: ${(e as Error).message}`);
    return null;
  }
}

/**
 * The logs API multiplexes stdout and stderr into frames (1 byte stream, 3 zero bytes, 4 bytes big-endian size)
 * unless the task has a TTY. Returns stdout only; a buffer that is not multiplexed is returned whole.
 */
export function demuxStdout(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const stream = buf[i];
    if (stream > 2 || buf[i + 1] !== 0 || buf[i + 2] !== 0 || buf[i + 3] !== 0) return buf.toString('utf8');
    const size = buf.readUInt32BE(i + 4);
    if (i + 8 + size > buf.length) return buf.toString('utf8');
    if (stream === 1) out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  if (i !== buf.length) return buf.toString('utf8');
  return Buffer.concat(out).toString('utf8');
}
