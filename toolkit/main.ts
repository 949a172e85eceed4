// Runs the CLI and turns every outcome into an exit code: 0 ok, 2 usage/config, 1 runtime, 99 gate failed.
// Commands never call process.exit; this is the only place that decides the code.
import { CommanderError } from 'commander';
import { buildCli } from './cli.ts';
import { EXIT, ToolkitError } from './errors.ts';

export async function main(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    return report(err);
  }
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message (unknown option, missing argument, --help).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) {
      return EXIT.ok;
    }
    process.stderr.write("hint: run 'toolkit --help' or 'toolkit <command> --help'\n");
    return EXIT.usage;
  }
  if (err instanceof ToolkitError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`internal error: ${e?.stack ?? String(err)}\n`);
  process.stderr.write('hint: this is a bug in replica-toolkit; please report it with the command you ran\n');
  return EXIT.runtime;
}
