// The shortcut past the bundle: the key moves with any source, and only the matching key returns cached tags.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedTags, rememberTags, sourceKey } from '../../toolkit/images/source-cache.ts';

let root: string;
function tree(): string {
  root = mkdtempSync(join(tmpdir(), 'source-cache-'));
  mkdirSync(join(root, 'services', 'inference'), { recursive: true });
  writeFileSync(join(root, 'services', 'inference', 'app.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'package-lock.json'), '{}\n');
  return root;
}
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('image source cache', () => {
  it('changes the key when a service source, the lock file or a base image changes', () => {
    const r = tree();
    const k0 = sourceKey(r, ['base-a']);
    expect(sourceKey(r, ['base-a'])).toBe(k0);
    expect(sourceKey(r, ['base-b'])).not.toBe(k0);
    writeFileSync(join(r, 'services', 'inference', 'app.ts'), 'export const a = 2;\n');
    const k1 = sourceKey(r, ['base-a']);
    expect(k1).not.toBe(k0);
    writeFileSync(join(r, 'package-lock.json'), '{"x":1}\n');
    expect(sourceKey(r, ['base-a'])).not.toBe(k1);
  });

  it('returns the remembered tags only for the key they were built from', () => {
    const r = tree();
    const images = { services: 'replica-toolkit/services:aaa', nginx: 'replica-toolkit/nginx:bbb' };
    expect(cachedTags(r, 'k1')).toBeUndefined();
    rememberTags(r, 'k1', images);
    expect(cachedTags(r, 'k1')).toEqual(images);
    expect(cachedTags(r, 'k2')).toBeUndefined();
  });
});
