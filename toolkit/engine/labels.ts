// Compose's own labels and names, so `docker-compose -p <project> ps` (and `docker compose`) see what the toolkit
// made, plus our marker label. Everything the engine queries is found by these labels, never by names.
import { createHash } from 'node:crypto';
import type { ServiceDef } from '../spec/service-defs.ts';

export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  configHash: 'com.docker.compose.config-hash',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  managed: 'dev.replica-toolkit.managed',
  /** The port the service listens on inside its container, so `status` can print addresses without the spec. */
  port: 'dev.replica-toolkit.container-port',
} as const;

/** The compose version we claim: the one installed here, so a hand-run docker-compose treats our objects as its own. */
export const COMPOSE_VERSION = '1.29.2';

export const containerName = (project: string, service: string, n: number): string => `${project}-${service}-${n}`;
export const networkName = (project: string): string => `${project}_default`;
/** Volume names in ServiceDefs are project-relative (`storage-data`); Docker sees `<project>_storage-data`. */
export const volumeName = (project: string, volume: string): string =>
  volume.startsWith(`${project}_`) ? volume : `${project}_${volume}`;

/**
 * Hash of what a container is made from. `replicas` is left out (scaling must not replace healthy replicas);
 * `imageId` is in, so a rebuilt image under the same tag still counts as a change.
 */
export function configHash(def: ServiceDef, imageId = ''): string {
  const { replicas: _replicas, ...rest } = def;
  return createHash('sha256')
    .update(stableJson({ ...rest, imageId }))
    .digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function containerLabels(opts: {
  project: string;
  service: string;
  number: number;
  oneoff?: boolean;
  workingDir: string;
  configFile?: string;
  configHash: string;
  containerPort?: number;
}): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL.project]: opts.project,
    [LABEL.service]: opts.service,
    [LABEL.number]: String(opts.number),
    [LABEL.oneoff]: opts.oneoff ? 'True' : 'False',
    [LABEL.workingDir]: opts.workingDir,
    [LABEL.configHash]: opts.configHash,
    [LABEL.version]: COMPOSE_VERSION,
    [LABEL.managed]: 'true',
  };
  if (opts.configFile) labels[LABEL.configFiles] = opts.configFile;
  if (opts.containerPort) labels[LABEL.port] = String(opts.containerPort);
  return labels;
}

export const networkLabels = (project: string): Record<string, string> => ({
  [LABEL.project]: project,
  [LABEL.network]: 'default',
  [LABEL.version]: COMPOSE_VERSION,
  [LABEL.managed]: 'true',
});

export const volumeLabels = (project: string, volume: string): Record<string, string> => ({
  [LABEL.project]: project,
  [LABEL.volume]: volume,
  [LABEL.version]: COMPOSE_VERSION,
  [LABEL.managed]: 'true',
});

/**
 * Docker list filters selecting the project's objects (ours only: the managed label as well, so a project
 * started by hand with docker-compose under the same name is never touched).
 */
export function projectFilters(project: string, extra: Record<string, string> = {}): { label: string[] } {
  const label = [`${LABEL.project}=${project}`, `${LABEL.managed}=true`];
  for (const [k, v] of Object.entries(extra)) label.push(`${k}=${v}`);
  return { label };
}
