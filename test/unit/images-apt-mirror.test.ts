// debootstrap must fetch from the mirror apt already uses, read from either sources format.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeError } from '../../toolkit/errors.ts';
import { parseDeb822Sources, parseOneLineSources, pickMirror, readAptMirror } from '../../toolkit/images/apt-mirror.ts';

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('apt mirror', () => {
  it('reads deb822 stanzas and picks the release mirror, not -security', () => {
    const sources = parseDeb822Sources(DEB822);
    expect(sources).toHaveLength(2);
    expect(pickMirror(sources, 'bookworm')).toBe('http://mirror.example/debian');
  });

  it('reads one-line sources, ignoring comments, deb-src and [options]', () => {
    const text = `# deb http://old.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb http://sec.example/debian-security bookworm-security main
deb [signed-by=/usr/share/keyrings/k.gpg] http://one.example/debian bookworm main
`;
    expect(pickMirror(parseOneLineSources(text), 'bookworm')).toBe('http://one.example/debian');
  });

  it('skips disabled deb822 stanzas', () => {
    const text = 'Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n';
    expect(parseDeb822Sources(text)).toEqual([]);
  });

  it('reads an /etc/apt tree, and explains when there is no mirror at all', () => {
    const etc = mkdtempSync(join(tmpdir(), 'apt-'));
    dirs.push(etc);
    expect(() => readAptMirror('bookworm', etc)).toThrow(RuntimeError);
    mkdirSync(join(etc, 'sources.list.d'));
    writeFileSync(join(etc, 'sources.list.d', 'debian.sources'), DEB822);
    expect(readAptMirror('bookworm', etc)).toBe('http://mirror.example/debian');
  });
});
