// Setup step: make sure the base images and the two project images exist (cached; quick when they do).
// Usage: npx tsx scripts/ensure-images.ts [--json]
import { connectDocker } from '../toolkit/docker.ts';
import { ToolkitError } from '../toolkit/errors.ts';
import { ensureImages, type ImageSpec } from '../toolkit/images/index.ts';
import { stderrProgress } from '../toolkit/progress.ts';

const spec: ImageSpec = {
  images: { nodeBase: 'node:20-bookworm-slim', nginxBase: 'nginx:stable', bootstrap: 'auto' },
};

try {
  const docker = await connectDocker();
  const images = await ensureImages(docker, spec, stderrProgress());
  if (process.argv.includes('--json')) console.log(JSON.stringify(images));
  else console.log(`images: services=${images.services} nginx=${images.nginx}`);
} catch (err) {
  if (!(err instanceof ToolkitError)) throw err;
  console.error(`error: ${err.message}`);
  if (err.hint) console.error(`hint: ${err.hint}`);
  process.exitCode = err.exitCode;
}
