// The host's Node binary is what goes into the local node base: check it is Node 20 and needs nothing
// beyond the glibc libraries every Debian minbase has, so a plain copy runs inside the image.
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { RuntimeError } from '../errors.ts';

const MINBASE_LIBS = /^(linux-vdso|ld-linux[\w-]*|libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s)\.so/;

/** Libraries `ldd` lists that a minbase rootfs would not provide, plus any it could not find. */
export function foreignLibraries(lddOutput: string): string[] {
  const out: string[] = [];
  for (const line of lddOutput.split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (!name) continue;
    if (line.includes('not found') || !MINBASE_LIBS.test(basename(name))) out.push(name);
  }
  return out;
}

export function checkHostNode(path = '/usr/bin/node'): string {
  const hint =
    'install Node 20 from a glibc build (e.g. nodesource) at /usr/bin/node, or make node:20-bookworm-slim available';
  let real: string;
  let version: string;
  try {
    real = realpathSync(path);
    version = execFileSync(real, ['--version'], { encoding: 'utf8' }).trim();
  } catch (err) {
    throw new RuntimeError(`cannot run ${path} for the local node base image`, hint, err);
  }
  if (!version.startsWith('v20.')) throw new RuntimeError(`${path} is Node ${version}; the image needs Node 20`, hint);
  let ldd: string;
  try {
    ldd = execFileSync('ldd', [real], { encoding: 'utf8' });
  } catch (err) {
    throw new RuntimeError(`${real} is not a dynamically linked glibc binary (ldd failed)`, hint, err);
  }
  if (!/libc\.so\.6/.test(ldd)) throw new RuntimeError(`${real} is not linked against glibc`, hint);
  const foreign = foreignLibraries(ldd);
  if (foreign.length) {
    throw new RuntimeError(`${real} needs libraries a minimal Debian lacks: ${foreign.join(', ')}`, hint);
  }
  return real;
}
