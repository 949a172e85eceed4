// The Swarm service of one k6 generator: one task, restart none (it runs once), on the project's overlay, hardened
// like the stack's services, labelled like them (so `down` removes leftovers) plus the run and the generator index.
// Pure: the unit tests read it as data.
//
// Replicated with one replica and restart none rather than a ReplicatedJob: on Docker 20.10 removing a job service
// does not stop its running task (checked: a 60 s k6 job ran to its end after `service rm`), so Ctrl-C and `down`
// could not stop a generator on another node. A replicated service's task stops on removal (1.5 s: k6 stops
// gracefully on SIGTERM), and with restart none a finished task is never started again — the same one-shot run.
import type Docker from 'dockerode';
import { FILES, k6Args, type Segment } from '../../load/k6-args.ts';
import type { ValidOptions } from '../../load/validate.ts';
import { SERVICE_LABEL, swarmLabels, swarmServiceName } from './labels.ts';

/** SERVICE_LABEL value of generator services; `status` and `down` see them as the project's services. */
export const GENERATOR_SERVICE = 'k6-generator';
export const RUN_LABEL = 'dev.replica-toolkit.run-id';
export const GENERATOR_LABEL = 'dev.replica-toolkit.generator';

/** Paths inside the k6 image (docker/k6.Dockerfile, docker/k6-task.sh). */
export const TASK_PATHS = {
  out: '/tmp/k6',
  config: '/tmp/k6-config.json',
  loadtests: '/opt/toolkit/loadtests',
} as const;

/**
 * The scripts accept only loopback base URLs (loadtests/lib/limits.ts), so the task loads `localhost` and k6's
 * own DNS override (`hosts`, read from the config file the entrypoint writes) sends it to the balancer's address
 * on the project's overlay — the one target a task may have.
 */
export const TASK_BASE_HOST = 'localhost';

export interface GeneratorJobInput {
  project: string;
  runId: string;
  index: number;
  segment: Segment;
  v: ValidOptions;
  image: string;
  networkId: string;
  /** The nginx container's IPv4 on the overlay, and the port it listens on there. */
  target: { ip: string; port: number };
  /** Placement spread descriptor (spec.placement.spread, default node.id); '' for none. */
  spread: string;
}

const NS_PER_SEC = 1_000_000_000;
/** /tmp holds k6's CSV samples (gzipped) until they are printed; beyond this k6 fails and says so. */
export const TASK_TMP_BYTES = 512 * 2 ** 20;

/**
 * `<project>_k6-<run id>-<i>`: a DNS label as Swarm wants it (a run id may hold '.' and '_'), within its 63
 * characters; the run id's end (its random part) and the index are kept, the project name is cut first.
 */
export function generatorServiceName(project: string, runId: string, index: number): string {
  const id = runId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(-24)
    .replace(/^-+/, '');
  const tail = `_k6-${id}-${index}`;
  return swarmServiceName(project.slice(0, 63 - tail.length), tail.slice(1));
}

/** k6's arguments inside the task: the same command line as a local generator, with the image's paths. */
export function taskK6Args(input: Pick<GeneratorJobInput, 'v' | 'segment' | 'target'>): string[] {
  const v = { ...input.v, baseUrl: `http://${TASK_BASE_HOST}:${input.target.port}` };
  const args = k6Args(v, TASK_PATHS.out, `${TASK_PATHS.loadtests}/${v.scenario}.ts`, input.segment);
  return [args[0], '--config', TASK_PATHS.config, ...args.slice(1)];
}

export function taskK6Config(target: GeneratorJobInput['target']): string {
  return JSON.stringify({ hosts: { [TASK_BASE_HOST]: `${target.ip}:${target.port}` } });
}

export function generatorJobSpec(input: GeneratorJobInput): Docker.ServiceSpec & { Labels: Record<string, string> } {
  const labels = swarmLabels(input.project, {
    [SERVICE_LABEL]: GENERATOR_SERVICE,
    [RUN_LABEL]: input.runId,
    [GENERATOR_LABEL]: String(input.index),
  });
  return {
    Name: generatorServiceName(input.project, input.runId, input.index),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: input.image,
        Args: taskK6Args(input),
        Env: [`K6_CONFIG_JSON=${taskK6Config(input.target)}`, 'K6_NO_USAGE_REPORT=true'],
        User: '10001:10001',
        ReadOnly: true,
        CapabilityDrop: ['ALL'],
        Labels: labels,
        // k6 stops gracefully on SIGTERM (the summary is still written); the entrypoint then prints the files.
        StopGracePeriod: 15 * NS_PER_SEC,
        Mounts: [{ Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: TASK_TMP_BYTES, Mode: 0o1777 } }],
      } as unknown as Docker.ContainerSpec,
      RestartPolicy: { Condition: 'none' },
      // A preference spreads the tasks of one service only; what spreads K one-task services over the nodes is the
      // scheduler's tie-break (fewest active tasks on the node). Kept so they follow the stack's policy.
      Placement: {
        Preferences: input.spread ? [{ Spread: { SpreadDescriptor: input.spread } }] : [],
      },
      Networks: [{ Target: input.networkId }],
      // The results travel through this log: json-file is what the service logs API reads on every node.
      LogDriver: { Name: 'json-file', Options: {} },
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Mode: 'dnsrr' },
  };
}

/** What the entrypoint leaves for the toolkit: the files a local generator writes in its directory. */
export const TASK_FILES = [FILES.summary, FILES.timeseries] as const;
