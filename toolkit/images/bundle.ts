// Bundle the services into one ESM file for the image (no node_modules in the image, fast start).
// Some packages read files next to their own source at run time (@fastify/swagger-ui serves /docs from
// its static/ directory via __dirname); for those we copy the files beside the bundle and point the
// package's __dirname there, so /docs works in the container exactly as under tsx.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { RuntimeError } from '../errors.ts';

/** Packages that need files from their own directory at run time, and which directories. */
export const RUNTIME_ASSETS: ReadonlyArray<{ pkg: string; dirs: string[] }> = [
  { pkg: '@fastify/swagger-ui', dirs: ['static'] },
];

const BANNER = [
  "import { createRequire as __toolkitCreateRequire } from 'node:module';",
  "import { dirname as __toolkitDirname } from 'node:path';",
  "import { fileURLToPath as __toolkitFileURLToPath } from 'node:url';",
  // CJS dependencies call require(); ESM output has none unless we provide it.
  'const require = __toolkitCreateRequire(import.meta.url);',
  'const __toolkitBundleDir = __toolkitDirname(__toolkitFileURLToPath(import.meta.url));',
].join('\n');

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Rewrites __dirname/__filename in the asset packages to `<bundle dir>/assets/<pkg>/...`. */
function runtimeAssetsPlugin(root: string): Plugin {
  return {
    name: 'toolkit-runtime-assets',
    setup(b) {
      for (const { pkg } of RUNTIME_ASSETS) {
        const pkgDir = join(root, 'node_modules', pkg);
        const filter = new RegExp(`${escapeRegExp(`node_modules/${pkg}/`).replace(/\\\//g, '[\\\\/]')}.*\\.c?js$`);
        b.onLoad({ filter }, (args) => {
          const rel = relative(pkgDir, args.path).split(sep).join('/');
          if (rel.startsWith('..') || rel.startsWith('node_modules/')) return undefined;
          const dir = posix.join('/assets', pkg, posix.dirname(rel));
          const file = posix.join('/assets', pkg, rel);
          const shim = `var __dirname = __toolkitBundleDir + ${JSON.stringify(dir)}, __filename = __toolkitBundleDir + ${JSON.stringify(file)};\n`;
          const source = readFileSync(args.path, 'utf8');
          // Keep a leading 'use strict' first, or the module silently stops being strict.
          const strict = /^\s*(['"])use strict\1;?/.exec(source);
          const contents = strict
            ? `${source.slice(0, strict[0].length)}\n${shim}${source.slice(strict[0].length)}`
            : shim + source;
          return { contents, loader: 'js' };
        });
      }
    },
  };
}

export interface BundleResult {
  /** Directory holding services.mjs, its chunk-*.mjs, their source maps and assets/. */
  outDir: string;
  bundle: string;
}

/** Bundle into outDir (a fresh directory private to this call, so concurrent runs never share files). */
export async function bundleServices(
  root: string,
  outDir: string,
  entry = join(root, 'services', 'main.ts'),
): Promise<BundleResult> {
  const bundle = join(outDir, 'services.mjs');
  if (!existsSync(entry)) throw new RuntimeError(`services entry ${entry} not found`);
  rmSync(outDir, { recursive: true, force: true });
  let inputs: string[];
  try {
    const result = await build({
      entryPoints: [entry],
      outdir: outDir,
      // Paths esbuild writes into the bundle (module comments, the metafile) are relative to this directory; the
      // process's cwd would make the same sources bundle differently from the CLI, vitest or a commit's temp tree.
      absWorkingDir: root,
      entryNames: 'services',
      outExtension: { '.js': '.mjs' },
      // Each service's modules (and the AWS SDK, Fastify...) in chunks of their own: `services.mjs inference`
      // parses only what inference imports, not the storage, registry and trainer code (~10 MB less RSS).
      splitting: true,
      // Beside services.mjs: the runtime-asset shim resolves paths from the directory of the file it is in.
      chunkNames: 'chunk-[name]-[hash]',
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      sourcemap: true,
      banner: { js: BANNER },
      plugins: [runtimeAssetsPlugin(root)],
      metafile: true,
      logLevel: 'silent',
    });
    inputs = Object.keys(result.metafile.inputs);
  } catch (err) {
    throw new RuntimeError(`bundling ${relative(root, entry)} failed: ${(err as Error).message}`, undefined, err);
  }
  for (const { pkg, dirs } of RUNTIME_ASSETS) {
    if (!inputs.some((i) => i.includes(`node_modules/${pkg}/`))) continue;
    for (const d of dirs) {
      const target = join(outDir, 'assets', pkg, d);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(root, 'node_modules', pkg, d), target, { recursive: true });
    }
  }
  // The Dockerfile copies assets/ unconditionally; keep it present even when no package needs it.
  mkdirSync(join(outDir, 'assets'), { recursive: true });
  return { outDir, bundle };
}
