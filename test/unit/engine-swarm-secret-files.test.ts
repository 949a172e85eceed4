// Services on the swarm get their credentials as files (/run/secrets/<KEY>) and `<KEY>_FILE` in the environment;
// EnvReader (services/common) reads them like the plain variables the local engine sets.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, EnvReader } from '../../services/common/env.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secret-files-'));
  await writeFile(join(dir, 'KEY'), 's3cr3t\n');
  await writeFile(join(dir, 'N'), '42');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('EnvReader with *_FILE', () => {
  it('reads the value from the file, without its trailing newline', () => {
    const r = new EnvReader({ STORAGE_SECRET_KEY_FILE: join(dir, 'KEY'), MAX_FILE: join(dir, 'N') });
    expect(r.done({ key: r.string('STORAGE_SECRET_KEY'), n: r.int('MAX', 1) })).toEqual({ key: 's3cr3t', n: 42 });
  });

  it('prefers nothing silently: both forms set, or an unreadable file, is a ConfigError naming the variable', () => {
    const both = new EnvReader({ A: 'x', A_FILE: join(dir, 'KEY') });
    both.string('A');
    expect(() => both.done(0)).toThrow(/A and A_FILE are both set/);
    const missing = new EnvReader({ B_FILE: join(dir, 'nope') });
    missing.string('B');
    expect(() => missing.done(0)).toThrow(ConfigError);
    expect(() => missing.done(0)).toThrow(/B_FILE=".*nope" cannot be read \(ENOENT\)/);
  });

  it('leaves unrelated *_FILE variables alone', () => {
    const r = new EnvReader({ OTHER_FILE: join(dir, 'nope'), C: 'c' });
    expect(r.done(r.string('C'))).toBe('c');
  });
});
