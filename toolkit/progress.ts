// Progress for long work goes to stderr so stdout stays clean for tables and --json.

export interface Progress {
  step(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export function stderrProgress(opts: { quiet?: boolean } = {}): Progress {
  const t0 = Date.now();
  const stamp = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;
  return {
    step: (m) => {
      if (!opts.quiet) process.stderr.write(`${stamp()}  ${m}\n`);
    },
    info: (m) => {
      if (!opts.quiet) process.stderr.write(`        ${m}\n`);
    },
    warn: (m) => process.stderr.write(`warning: ${m}\n`),
  };
}

export const silentProgress: Progress = { step: () => {}, info: () => {}, warn: () => {} };
