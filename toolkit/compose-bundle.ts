// Writes the hand-runnable compose bundle: compose/docker-compose.yml and the compose-flavour compose/nginx.conf
// it mounts (upstream `inference:8000`, which Docker DNS expands to every replica).
import { mkdir } from 'node:fs/promises';
import type { stackPaths } from './paths.ts';
import { renderCompose } from './render/compose.ts';
import { renderNginx } from './render/nginx.ts';
import { writeFileAtomic } from './render/write.ts';
import type { ServiceDef } from './spec/service-defs.ts';
import type { StackSpec } from './spec/types.ts';

export async function writeComposeBundle(
  spec: StackSpec,
  defs: ServiceDef[],
  paths: ReturnType<typeof stackPaths>,
): Promise<void> {
  await mkdir(paths.composeDir, { recursive: true });
  await writeFileAtomic(paths.composeFile, renderCompose(spec, defs, paths));
  await writeFileAtomic(
    paths.composeNginxConf,
    renderNginx(spec, [{ replica: 1, address: 'inference:8000', weight: 1 }], { flavor: 'compose' }),
  );
}
