// Shared names for the image modules: what callers pass in, what they get back, and the tags we own.
import { fileURLToPath } from 'node:url';
import type { StackSpec } from '../spec/types.ts';

/** The two project images a stack runs. */
export interface StackImages {
  services: string;
  nginx: string;
}

/** The base images the project Dockerfiles are built FROM (build args NODE_IMAGE / NGINX_IMAGE). */
export interface BaseImages {
  nodeBase: string;
  nginxBase: string;
}

/** Only the part of the StackSpec the image code reads, so scripts can pass a minimal object. */
export type ImageSpec = Pick<StackSpec, 'images'>;

/** Every image the toolkit makes carries this label, so cleanup finds them by label, never by name. */
export const MANAGED_LABEL = 'dev.replica-toolkit.managed';
export const MANAGED_LABELS: Record<string, string> = { [MANAGED_LABEL]: 'true' };

/** Local stand-ins for the standard bases, made on machines without a registry. */
export const LOCAL_BASES = {
  debian: 'replica-toolkit/base-debian:bookworm',
  node: 'replica-toolkit/base-node:20-bookworm-slim',
  nginx: 'replica-toolkit/base-nginx:stable',
} as const;

export const PROJECT_REPOS = {
  services: 'replica-toolkit/services',
  nginx: 'replica-toolkit/nginx',
  /** The k6 generator that runs as a Swarm task (docker/k6.Dockerfile); not part of StackImages. */
  k6: 'replica-toolkit/k6',
} as const;

/** Local stand-in for grafana/k6:<version>: the Debian base plus the host's k6 (docker/base-k6.Dockerfile). */
export const localK6Base = (version: string): string => `replica-toolkit/base-k6:${version}`;

/** The toolkit's own files (Dockerfiles, services/, data/) live here, wherever the user runs the CLI from. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
