// Per-replica request counts from k6's CSV time series: the `replica_hits` counter carries the X-Replica header
// as a tag, which k6 writes into the extra_tags column (`replica=<id>&endpoint=...`). Streamed, since a long run
// writes millions of rows.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ReplicaShare } from './types.ts';

/** Splits one CSV record (RFC 4180 quoting, as Go's encoding/csv writes it). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/** Adds up replica_hits per replica tag from CSV lines (header first). */
export async function countReplicas(lines: AsyncIterable<string> | Iterable<string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let metricCol = -1;
  let valueCol = -1;
  let tagsCol = -1;
  for await (const line of lines) {
    if (line === '') continue;
    if (metricCol < 0) {
      const header = splitCsvLine(line);
      metricCol = header.indexOf('metric_name');
      valueCol = header.indexOf('metric_value');
      tagsCol = header.indexOf('extra_tags');
      if (metricCol < 0 || valueCol < 0 || tagsCol < 0) throw new Error('k6 CSV: missing expected columns');
      continue;
    }
    if (!line.startsWith('replica_hits,')) continue;
    const f = splitCsvLine(line);
    const replica = new URLSearchParams(f[tagsCol]).get('replica') ?? 'none';
    counts.set(replica, (counts.get(replica) ?? 0) + Number(f[valueCol]));
  }
  return counts;
}

export function toShares(counts: Map<string, number>): ReplicaShare[] {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
    .map(([replica, requests]) => ({ replica, requests, share: total > 0 ? requests / total : 0 }));
}

/** The lines of a k6 CSV time series, gunzipped when the name ends in .gz. */
export function csvLines(file: string): AsyncIterable<string> {
  const input = createReadStream(file);
  let stream: Readable = input;
  if (file.endsWith('.gz')) {
    const gunzip = createGunzip();
    // pipe() does not forward a read error (e.g. ENOENT); readline only sees errors of the stream it reads.
    input.on('error', (e) => gunzip.destroy(e));
    stream = input.pipe(gunzip);
  }
  return createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
}

export async function perReplicaFromCsv(file: string): Promise<ReplicaShare[]> {
  return toShares(await countReplicas(csvLines(file)));
}
