// The image tag must change exactly when an input changes, and never otherwise.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contextHash } from '../../toolkit/images/content-hash.ts';

let dir: string;
const BASE = ['NODE_IMAGE=sha256:aaa'];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'images-hash-'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM x\n');
  writeFileSync(join(dir, 'services.mjs'), 'console.log(1)\n');
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'penguins.csv'), 'species\nAdelie\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('contextHash', () => {
  it('is 12 hex characters and stable for the same inputs', () => {
    const h = contextHash(dir, BASE);
    expect(h).toMatch(/^[0-9a-f]{12}$/);
    expect(contextHash(dir, BASE)).toBe(h);
  });

  it.each([
    ['the Dockerfile', 'Dockerfile', 'FROM y\n'],
    ['the bundle', 'services.mjs', 'console.log(2)\n'],
    ['the training data', 'data/penguins.csv', 'species\nGentoo\n'],
  ])('changes when %s changes', (_what, file, content) => {
    const before = contextHash(dir, BASE);
    writeFileSync(join(dir, file), content);
    expect(contextHash(dir, BASE)).not.toBe(before);
  });

  it('changes when the base image ID changes', () => {
    expect(contextHash(dir, ['NODE_IMAGE=sha256:bbb'])).not.toBe(contextHash(dir, BASE));
  });

  it('changes when a file is added or renamed, even with the same bytes', () => {
    const before = contextHash(dir, BASE);
    writeFileSync(join(dir, 'extra'), '');
    const added = contextHash(dir, BASE);
    expect(added).not.toBe(before);
    renameSync(join(dir, 'extra'), join(dir, 'other'));
    expect(contextHash(dir, BASE)).not.toBe(added);
  });
});
