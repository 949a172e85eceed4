// compose/docker-compose.yml from the same ServiceDefs the engine runs, so `docker-compose up` by hand gives the
// stack `toolkit up` makes, and `docker stack deploy -c` deploys it on a swarm. Format 3.9 with only keys all three
// read: replicas and limits under `deploy:` (docker-compose 1.29 and v2 translate deploy.replicas/resources/
// restart_policy to containers; stack deploy rejects top-level scale/cpus/mem_limit), depends_on as a list (stack
// deploy rejects conditions; the services wait for each other themselves: the trainer retries storage and the
// registry, inference polls its alias). Keys stack deploy ignores with a warning: restart, security_opt.
import { relative } from 'node:path';
import { Document } from 'yaml';
import { STACK_RESERVATION } from '../engine/swarm/service-spec.ts';
import { MANAGED_LABEL } from '../images/index.ts';
import type { StackPaths } from '../paths.ts';
import { jsonFileLogOptions, NGINX_CONF_DIR, type ServiceDef } from '../spec/service-defs.ts';
import type { StackSpec } from '../spec/types.ts';

export const PROJECT_LABEL = 'dev.replica-toolkit.project';

/** Compose interpolates `$VAR` in values; ours are literal. */
const literal = (s: string): string => s.replaceAll('$', () => '$$');

const seconds = (n: number): string => `${n}s`;

function stopGraceSec(def: ServiceDef): number | undefined {
  // Same budget the engine gives: drain delay + grace period + a margin before SIGKILL.
  const ms = Number(def.env.GRACE_PERIOD_MS ?? 0) + Number(def.env.DRAIN_DELAY_MS ?? 0);
  return ms > 0 ? Math.ceil(ms / 1000) + 2 : undefined;
}

/** A relative path compose resolves against the compose file's directory, always starting with `.`. */
function fromComposeDir(paths: Pick<StackPaths, 'composeDir'>, target: string): string {
  const rel = relative(paths.composeDir, target);
  return rel.startsWith('.') ? rel : `./${rel}`;
}

function service(
  spec: StackSpec,
  def: ServiceDef,
  paths: Pick<StackPaths, 'composeDir' | 'secretsFile' | 'composeNginxConf'>,
): Record<string, unknown> {
  const s: Record<string, unknown> = { image: def.image };
  if (def.entrypoint) s.entrypoint = def.entrypoint.map(literal);
  s.command = def.command.map(literal);
  if (Object.keys(def.env).length) {
    s.environment = Object.fromEntries(Object.entries(def.env).map(([k, v]) => [k, literal(v)]));
  }
  if (def.envFromSecrets.length) s.env_file = [fromComposeDir(paths, paths.secretsFile)];
  s.user = def.user;
  s.read_only = def.readOnlyRootfs;
  if (Object.keys(def.tmpfs).length) s.tmpfs = Object.entries(def.tmpfs).map(([p, o]) => (o ? `${p}:${o}` : p));
  if (def.capDrop.length) s.cap_drop = def.capDrop;
  if (def.securityOpt.length) s.security_opt = def.securityOpt;
  s.restart = def.restart;
  const grace = stopGraceSec(def);
  if (grace) s.stop_grace_period = seconds(grace);
  if (def.healthcheck) {
    const h = def.healthcheck;
    s.healthcheck = {
      test: ['CMD', ...h.test.map(literal)],
      interval: seconds(h.intervalSec),
      timeout: seconds(h.timeoutSec),
      retries: h.retries,
      start_period: seconds(h.startPeriodSec),
    };
  }
  if (def.log) s.logging = { driver: 'json-file', options: jsonFileLogOptions(def.log) };
  if (def.ports.length) s.ports = def.ports.map((p) => `${p.hostIp}:${p.hostPort}:${p.containerPort}`);
  const volumes = def.volumes.map((v) => {
    // The live balancer reads the toolkit's rewritten config; a hand run mounts the compose-flavour copy instead.
    if (def.name === 'nginx' && v.target === NGINX_CONF_DIR) {
      return `${fromComposeDir(paths, paths.composeNginxConf)}:${NGINX_CONF_DIR}/nginx.conf:ro`;
    }
    const source = v.kind === 'bind' ? fromComposeDir(paths, v.source) : v.source;
    return `${source}:${v.target}${v.readOnly ? ':ro' : ''}`;
  });
  if (volumes.length) s.volumes = volumes;
  const dependsOn = def.dependsOn.map((d) => d.service as string);
  // `server inference:8000` must resolve when nginx starts, so the replicas have to exist first.
  if (def.name === 'nginx') dependsOn.push('inference');
  if (dependsOn.length) s.depends_on = dependsOn;
  const labels = { [MANAGED_LABEL]: 'true', [PROJECT_LABEL]: spec.project };
  s.labels = labels;
  s.deploy = deploy(spec, def, labels);
  return s;
}

/** Swarm's view of the service; docker-compose reads replicas, resources and restart_policy from it too. */
function deploy(spec: StackSpec, def: ServiceDef, labels: Record<string, string>): Record<string, unknown> {
  const d: Record<string, unknown> = { labels };
  // Names resolve to task IPs (as with `toolkit up --engine swarm`): no VIP, which needs IPVS. The published
  // balancer keeps Swarm's default, since ingress-published ports cannot be combined with dnsrr.
  if (def.ports.length === 0) d.endpoint_mode = 'dnsrr';
  if (def.name === 'inference') {
    d.replicas = def.replicas;
    // Capacity never drops during an update: the new task is healthy before the old one stops.
    d.update_config = { parallelism: 1, order: 'start-first', failure_action: 'rollback' };
  }
  if (def.limits) {
    d.resources = {
      limits: { cpus: String(def.limits.cpus), memory: `${def.limits.memoryMiB}M` },
      reservations: {
        cpus: String(Math.round(def.limits.cpus * STACK_RESERVATION.cpuShare * 1000) / 1000),
        memory: `${Math.floor(def.limits.memoryMiB * STACK_RESERVATION.memoryShare)}M`,
      },
    };
  }
  // A one-shot must not be restarted by Swarm once it completed (docker-compose maps this to restart: no).
  if (def.oneShot) d.restart_policy = { condition: 'none' };
  const placement: Record<string, unknown> = {};
  // The storage volume is local to the engine that made it: keep storage on the manager.
  if (def.volumes.some((v) => v.kind === 'volume')) placement.constraints = ['node.role == manager'];
  if (def.name === 'inference') {
    if (spec.placement.constraints.length) placement.constraints = [...spec.placement.constraints];
    if (spec.placement.spread) placement.preferences = [{ spread: spec.placement.spread }];
  }
  if (Object.keys(placement).length) d.placement = placement;
  return d;
}

export function renderCompose(
  spec: StackSpec,
  defs: ServiceDef[],
  paths: Pick<StackPaths, 'composeDir' | 'secretsFile' | 'composeNginxConf'>,
): string {
  const namedVolumes = [
    ...new Set(defs.flatMap((d) => d.volumes.filter((v) => v.kind === 'volume').map((v) => v.source))),
  ];
  const model = {
    // 3.9: what `docker stack deploy` requires; docker-compose 1.29 and v2 validate it against the compose spec.
    version: '3.9',
    services: Object.fromEntries(defs.map((d) => [d.name, service(spec, d, paths)])),
    ...(namedVolumes.length
      ? {
          volumes: Object.fromEntries(
            namedVolumes.map((v) => [v, { labels: { [MANAGED_LABEL]: 'true', [PROJECT_LABEL]: spec.project } }]),
          ),
        }
      : {}),
  };
  const doc = new Document(model, { aliasDuplicateObjects: false });
  doc.commentBefore = [
    ` Generated by replica-toolkit (\`toolkit up\` / \`toolkit config\`) from the StackSpec; edit that, not this file.`,
    ` Run by hand from ${spec.cwd}:`,
    `   docker-compose -p ${spec.project} -f compose/docker-compose.yml up -d`,
    `   docker-compose -p ${spec.project} -f compose/docker-compose.yml up -d --scale inference=4`,
    ` or on a swarm (the images must be on every node):`,
    `   docker stack deploy -c compose/docker-compose.yml ${spec.project}`,
    `   (Swarm's ingress ignores the bind address: stack deploy publishes port ${spec.port} on every node's`,
    `   0.0.0.0; \`toolkit up --engine swarm\` keeps it on ${spec.bindAddress}.)`,
    ` Credentials come from ${relative(spec.cwd, paths.secretsFile)} (created by \`toolkit up\`).`,
  ].join('\n');
  // Quote every string: docker-compose 1.29 reads YAML 1.1, where `no`, `on` and `8000:80` are not strings.
  return doc.toString({ defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 });
}
