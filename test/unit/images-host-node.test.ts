// The host's node is copied into a minimal Debian: it may only need libraries minbase has.
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../../toolkit/errors.ts';
import { checkHostNode, foreignLibraries } from '../../toolkit/images/host-node.ts';

const NODESOURCE_LDD = `	linux-vdso.so.1 (0x00007ffd)
	libdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f8d)
	libstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f8d)
	libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f8d)
	libgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f8d)
	libpthread.so.0 => /lib/x86_64-linux-gnu/libpthread.so.0 (0x00007f8d)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f8d)
	/lib64/ld-linux-x86-64.so.2 (0x00007f8d)
`;

describe('host node check', () => {
  it('accepts a self-contained glibc build (nodesource style)', () => {
    expect(foreignLibraries(NODESOURCE_LDD)).toEqual([]);
  });

  it("flags Debian's libnode build and missing libraries", () => {
    const ldd = `${NODESOURCE_LDD}\tlibnode.so.108 => /lib/x86_64-linux-gnu/libnode.so.108 (0x1)\n\tlibuv.so.1 => not found\n`;
    expect(foreignLibraries(ldd)).toEqual(['libnode.so.108', 'libuv.so.1']);
  });

  it('rejects a binary that is not Node 20 with a hint', () => {
    // /bin/true prints no version: it is not the Node the image needs.
    expect(() => checkHostNode('/bin/true')).toThrow(RuntimeError);
  });
});
