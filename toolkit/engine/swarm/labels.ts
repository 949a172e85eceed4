// Names and labels of what the swarm engine makes. `com.docker.stack.namespace` is the label `docker stack` uses,
// so `docker stack ps <project>` sees our services; the managed label says the toolkit made it. Every query and
// every removal goes by both labels, never by names.
import { LABEL } from '../labels.ts';

export const STACK_NAMESPACE = 'com.docker.stack.namespace';
/** Which ServiceDef a swarm service (or its task containers) comes from. */
export const SERVICE_LABEL = 'dev.replica-toolkit.service';
/** Hash of the service spec without its replica count: a different hash means "update", the same means "scale". */
export const SPEC_HASH_LABEL = 'dev.replica-toolkit.spec-hash';

export const swarmServiceName = (project: string, service: string): string => `${project}_${service}`;
export const swarmSecretName = (project: string, key: string): string => `${project}_${key}`;
export const overlayName = (project: string): string => `${project}_default`;

export const swarmLabels = (project: string, extra: Record<string, string> = {}): Record<string, string> => ({
  [LABEL.managed]: 'true',
  [STACK_NAMESPACE]: project,
  ...extra,
});

/** List filters for the project's swarm objects (services, secrets, networks, containers). */
export function swarmFilters(project: string, extra: Record<string, string> = {}): { label: string[] } {
  return { label: Object.entries(swarmLabels(project, extra)).map(([k, v]) => `${k}=${v}`) };
}
