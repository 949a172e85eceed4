// Skips the esbuild bundle — the slowest part of an up-to-date `toolkit up` — when nothing that goes into the
// images changed since they were built: a hash of the sources maps to the tags that build produced
// (dist/.image-tags.json). The tags themselves still come from the built contexts (content-hash.ts); this is only a
// shortcut to them, verified against the engine before use.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listFiles } from './content-hash.ts';
import type { StackImages } from './types.ts';

/** Everything under root that an image is made from: the services, how images are built, data, lock file. */
const INPUTS = ['services', 'toolkit/images', 'docker', 'nginx/Dockerfile', 'data/penguins.csv', 'package-lock.json'];

export function sourceKey(root: string, extra: string[]): string {
  const hash = createHash('sha256');
  for (const input of INPUTS) {
    const path = join(root, input);
    if (!existsSync(path)) continue;
    const files = statSync(path).isDirectory() ? listFiles(path).map((f) => join(input, f)) : [input];
    for (const rel of files) {
      hash.update(`file\0${rel}\0`);
      hash.update(readFileSync(join(root, rel)));
      hash.update('\0');
    }
  }
  for (const e of extra) hash.update(`extra\0${e}\0`);
  return hash.digest('hex');
}

const cacheFile = (root: string) => join(root, 'dist', '.image-tags.json');

export function cachedTags(root: string, key: string): StackImages | undefined {
  try {
    const entry = JSON.parse(readFileSync(cacheFile(root), 'utf8')) as { key?: string; images?: StackImages };
    return entry.key === key && entry.images?.services && entry.images.nginx ? entry.images : undefined;
  } catch {
    return undefined;
  }
}

export function rememberTags(root: string, key: string, images: StackImages): void {
  mkdirSync(join(root, 'dist'), { recursive: true });
  const tmp = `${cacheFile(root)}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ key, images }));
  renameSync(tmp, cacheFile(root));
}
