// --generators: validated 1..16 with the flag named, enough VUs (or arrivals) for every generator, and a
// one-generator run resolves to exactly what it always did.
import { describe, expect, it } from 'vitest';
import { buildCli, type Commands } from '../../toolkit/cli.ts';
import type { CommandIO } from '../../toolkit/commands/io.ts';
import { loadtestOptions } from '../../toolkit/commands/loadtest.ts';
import { UsageError } from '../../toolkit/errors.ts';
import type { LoadtestOptions } from '../../toolkit/load/types.ts';
import { validateOptions } from '../../toolkit/load/validate.ts';
import { silentProgress } from '../../toolkit/progress.ts';

const base: LoadtestOptions = {
  scenario: 'predict',
  duration: '30s',
  batch: 1,
  thresholds: [],
  baseUrl: 'http://127.0.0.1:8000',
};

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('--generators', () => {
  it.each<[string, Partial<LoadtestOptions>, RegExp]>([
    ['zero', { generators: 0 }, /--generators: 0 is out of range; expected an integer from 1 to 16/],
    ['too many', { generators: 17 }, /--generators: 17 is out of range/],
    ['fractional', { generators: 1.5 }, /--generators: 1.5 is out of range/],
    ['fewer VUs than generators', { generators: 4, users: 3 }, /--generators 4 needs at least 4 --users/],
    ['default 10 VUs over 16', { generators: 16 }, /needs at least 16 --users/],
    ['a rate below one arrival/s each', { generators: 3, rate: 2 }, /needs a --rate of at least 3/],
  ])('%s', (_name, patch, message) => {
    expect(usage(() => validateOptions({ ...base, ...patch }))).toMatch(message);
  });

  it('accepts K up to 16 for both models', () => {
    expect(validateOptions({ ...base, generators: 16, users: 16 }).generators).toBe(16);
    expect(validateOptions({ ...base, generators: 2, rate: 2 })).toMatchObject({ generators: 2, model: 'open' });
  });

  it('leaves a one-generator run exactly as before', () => {
    expect(validateOptions({ ...base, generators: 1 })).toEqual(validateOptions(base));
    expect('generators' in validateOptions(base)).toBe(false);
  });

  it('parses the flag as a whole number', () => {
    expect(loadtestOptions({ generators: '3' }, 8000).generators).toBe(3);
    expect('generators' in loadtestOptions({}, 8000)).toBe(false);
    expect(usage(() => loadtestOptions({ generators: 'two' }, 8000))).toMatch(/--generators: "two" is not a whole/);
  });
});

describe('the --generators flag on the command line', () => {
  it.each(['loadtest', 'sweep'])('reaches %s as given', async (command) => {
    const seen: unknown[] = [];
    const record = async (opts: unknown) => {
      seen.push(opts);
    };
    const io: CommandIO = {
      cwd: '/nowhere',
      env: {},
      out: () => {},
      progress: silentProgress,
      docker: () => Promise.reject(new Error('no docker in unit tests')),
    };
    const program = buildCli(io, { loadtest: record, sweep: record } as unknown as Commands);
    await program.parseAsync([command, '--generators', '2', '--users', '4'], { from: 'user' });
    expect(seen).toEqual([{ generators: '2', users: '4' }]);
  });
});
