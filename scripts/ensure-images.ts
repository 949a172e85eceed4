// Setup step: make sure the base images and the two project images exist (cached; quick when they do).
// Usage: npx tsx scripts/ensure-images.ts [--json] [--verbose]
// Prints one line: whether anything was built, and the tags. Long work (bootstrap, builds) shows its steps.
import { connectDocker } from '../toolkit/docker.ts';
import { ToolkitError } from '../toolkit/errors.ts';
import { ensureImages, type ImageSpec } from '../toolkit/images/index.ts';
import { type Progress, stderrProgress } from '../toolkit/progress.ts';

const spec: ImageSpec = {
  images: { nodeBase: 'node:20-bookworm-slim', nginxBase: 'nginx:stable', bootstrap: 'auto' },
};
const verbose = process.argv.includes('--verbose');

// Steps are the slow actions (pull, debootstrap, build); info lines are their details, shown on request.
const out = stderrProgress();
let steps = 0;
const progress: Progress = {
  step: (m) => {
    steps++;
    out.step(m);
  },
  info: (m) => {
    if (verbose) out.info(m);
  },
  warn: (m) => out.warn(m),
};

try {
  const docker = await connectDocker();
  const images = await ensureImages(docker, spec, progress);
  if (process.argv.includes('--json')) console.log(JSON.stringify(images));
  else console.log(`${steps ? 'built' : 'already present'} (services=${images.services} nginx=${images.nginx})`);
} catch (err) {
  if (!(err instanceof ToolkitError)) throw err;
  console.error(`error: ${err.message}`);
  if (err.hint) console.error(`hint: ${err.hint}`);
  process.exitCode = err.exitCode;
}
