// The services bundle, and so the image tag, must not depend on the directory the toolkit runs from: the CLI, vitest
// and a commit's exported tree run from different places and must get the same image for the same sources.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleServices } from '../../toolkit/images/bundle.ts';

const ROOT = join(import.meta.dirname, '..', '..');
let work = '';

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function files(dir: string): Promise<Map<string, string>> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.mjs') || n.endsWith('.map')).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n), 'utf8')] as const)));
}

describe('bundleServices', () => {
  it('writes the same files whatever the working directory', async () => {
    work = await mkdtemp(join(tmpdir(), 'bundle-cwd-'));
    const here = join(work, 'here');
    await bundleServices(ROOT, here);
    // The same call from another process whose working directory is elsewhere (the temp directory).
    const elsewhere = join(work, 'elsewhere');
    const api = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'api', 'index.mjs')).href;
    const bundleTs = pathToFileURL(join(ROOT, 'toolkit', 'images', 'bundle.ts')).href;
    const script =
      `const { register } = await import(${JSON.stringify(api)}); register();` +
      `const { bundleServices } = await import(${JSON.stringify(bundleTs)});` +
      `await bundleServices(${JSON.stringify(ROOT)}, ${JSON.stringify(elsewhere)});`;
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: work });
    const a = await files(here);
    const b = await files(elsewhere);
    expect([...a.keys()]).toContain('services.mjs');
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, text] of a) expect(b.get(name), name).toBe(text);
  }, 60_000);
});
