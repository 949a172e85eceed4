// The watcher's command-line surface: `lb watch` options, and `up --no-watch` reaching upCommand only when given.
import { describe, expect, it } from 'vitest';
import { buildCli, type Commands } from '../../toolkit/cli.ts';
import type { CommandIO } from '../../toolkit/commands/io.ts';
import { watcherJson, watcherLine } from '../../toolkit/commands/status.ts';
import { silentProgress } from '../../toolkit/progress.ts';

function recordingCli() {
  const calls: { command: string; args: unknown[] }[] = [];
  const record =
    (command: string) =>
    async (...args: unknown[]) => {
      calls.push({ command, args: args.slice(0, -1) });
    };
  const commands = { up: record('up'), lbWatch: record('lbWatch') } as unknown as Commands;
  const io: CommandIO = {
    cwd: '/nowhere',
    env: {},
    out: () => {},
    progress: silentProgress,
    docker: () => Promise.reject(new Error('no docker in unit tests')),
  };
  const program = buildCli(io, commands);
  const quiet = (cmd: typeof program) => {
    cmd.configureOutput({ writeErr: () => {}, writeOut: () => {} });
    for (const sub of cmd.commands) quiet(sub);
  };
  quiet(program);
  return { program, calls };
}

describe('toolkit lb watch / up --no-watch arguments', () => {
  it.each([
    { argv: ['up'], command: 'up', args: [{}] },
    { argv: ['up', '--no-watch'], command: 'up', args: [{ watch: false }] },
    { argv: ['up', '--no-watch', '--json'], command: 'up', args: [{ watch: false, json: true }] },
    { argv: ['lb', 'watch'], command: 'lbWatch', args: [{}] },
    {
      argv: ['lb', 'watch', '--project', 'demo', '--interval', '500ms', '--once', '--json'],
      command: 'lbWatch',
      args: [{ project: 'demo', interval: '500ms', once: true, json: true }],
    },
  ])('$argv', async ({ argv, command, args }) => {
    const { program, calls } = recordingCli();
    await program.parseAsync(argv, { from: 'user' });
    expect(calls).toEqual([{ command, args }]);
  });

  it('rejects an unknown lb watch option before calling anything', async () => {
    const { program, calls } = recordingCli();
    await expect(program.parseAsync(['lb', 'watch', '--every', '1s'], { from: 'user' })).rejects.toThrow(/--every/);
    expect(calls).toEqual([]);
  });
});

describe('status: the watcher', () => {
  it('shows a running watcher with its PID, and never the PID of a stale pidfile in --json', () => {
    expect(watcherJson({ pid: 42, running: true })).toEqual({ running: true, pid: 42 });
    expect(watcherJson({ pid: 42, running: false })).toEqual({ running: false, pid: null });
    expect(watcherLine({ pid: 42, running: true }, 'p')).toBe(
      'watcher: running (pid 42): nginx follows the ready replicas',
    );
    expect(watcherLine({ pid: 42, running: false }, 'p')).toMatch(/^watcher: not running \(stale pidfile: pid 42/);
    expect(watcherLine({ pid: null, running: false }, 'p')).toContain('toolkit lb watch --project p');
  });
});
