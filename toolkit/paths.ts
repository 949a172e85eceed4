// Where the toolkit keeps what it generates for a project. State (secrets, the live nginx config, the lock, the
// watcher's pidfile and log) lives under .toolkit/<project>/, which is git-ignored; compose/ and nginx/ hold readable
// copies for people.
import { join } from 'node:path';
import type { StackSpec } from './spec/types.ts';

export interface StackPaths {
  /** <cwd>/.toolkit/<project> */
  stateDir: string;
  /** KEY=value env file with the generated credentials (mode 0600). */
  secretsFile: string;
  /** Bind-mounted (as a directory, so atomic renames inside it are seen) into the running load balancer. */
  liveNginxDir: string;
  liveNginxConf: string;
  composeDir: string;
  composeFile: string;
  /** The compose-flavour nginx config that compose/docker-compose.yml mounts. */
  composeNginxConf: string;
  /** A copy of the live config for people to read; nothing mounts it. */
  nginxConf: string;
  /** Serialises toolkit commands working on the same project. */
  lockFile: string;
  /** PID of the `toolkit lb watch` process keeping nginx's upstream on the ready replicas between commands. */
  watchPidFile: string;
  /** Its output, when `up` started it in the background. */
  watchLogFile: string;
}

export function stackPaths(spec: Pick<StackSpec, 'cwd' | 'project'>): StackPaths {
  const stateDir = join(spec.cwd, '.toolkit', spec.project);
  const liveNginxDir = join(stateDir, 'nginx');
  const composeDir = join(spec.cwd, 'compose');
  return {
    stateDir,
    secretsFile: join(stateDir, 'secrets.env'),
    liveNginxDir,
    liveNginxConf: join(liveNginxDir, 'nginx.conf'),
    composeDir,
    composeFile: join(composeDir, 'docker-compose.yml'),
    composeNginxConf: join(composeDir, 'nginx.conf'),
    nginxConf: join(spec.cwd, 'nginx', 'nginx.conf'),
    lockFile: join(stateDir, 'lock'),
    watchPidFile: join(stateDir, 'watch.pid'),
    watchLogFile: join(stateDir, 'watch.log'),
  };
}
