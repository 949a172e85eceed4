// A tag that changes exactly when an input of the image changes: every file of the build context
// (path and bytes, in a fixed order) plus the base image ID and any extra strings.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

/** 12 hex characters of sha256 over the directory's files and the extra inputs. */
export function contextHash(dir: string, extra: string[]): string {
  const hash = createHash('sha256');
  for (const rel of listFiles(dir)) {
    hash.update(`file\0${rel}\0`);
    hash.update(readFileSync(join(dir, rel)));
    hash.update('\0');
  }
  for (const e of extra) hash.update(`extra\0${e}\0`);
  return hash.digest('hex').slice(0, 12);
}
