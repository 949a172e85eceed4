// Declares every command and its options; each action normalises options and calls a plain async function in
// commands/. No logic lives here.
import { Command, Option } from 'commander';
import { baselineSaveCommand } from './commands/baseline.ts';
import { chaosKillCommand, chaosPauseCommand } from './commands/chaos.ts';
import { configCommand } from './commands/config.ts';
import { downCommand } from './commands/down.ts';
import { gateCommand } from './commands/gate.ts';
import { type CommandIO, defaultIO, type SpecOptions } from './commands/io.ts';
import { lbStatsCommand, lbStrategyCommand, lbWatchCommand } from './commands/lb.ts';
import { loadtestCommand } from './commands/loadtest.ts';
import { logsCommand } from './commands/logs.ts';
import { reportCommand } from './commands/report.ts';
import { scaleCommand } from './commands/scale.ts';
import { statusCommand } from './commands/status.ts';
import { sweepCommand } from './commands/sweep.ts';
import { upCommand } from './commands/up.ts';

/** The functions the CLI wires to; tests pass recording stand-ins to check args → options. */
export const COMMANDS = {
  up: upCommand,
  down: downCommand,
  status: statusCommand,
  logs: logsCommand,
  config: configCommand,
  loadtest: loadtestCommand,
  sweep: (opts: Parameters<typeof sweepCommand>[0], io: CommandIO) => sweepCommand(opts, io),
  report: reportCommand,
  scale: scaleCommand,
  chaosKill: chaosKillCommand,
  chaosPause: chaosPauseCommand,
  lbStrategy: lbStrategyCommand,
  lbStats: lbStatsCommand,
  lbWatch: lbWatchCommand,
  gate: async (opts: Parameters<typeof gateCommand>[0], io: CommandIO): Promise<void> => {
    await gateCommand(opts, io);
  },
  baselineSave: async (...args: Parameters<typeof baselineSaveCommand>): Promise<void> => {
    await baselineSaveCommand(...args);
  },
};
export type Commands = typeof COMMANDS;

const ENGINE_HELP =
  "local (containers on this engine) or swarm (services on a swarm manager); default: the running stack's, else local";

function specOptions(cmd: Command): Command {
  return cmd
    .option('--project <name>', 'project name: labels and container names derive from it (default toolkit)')
    .option('--config <file>', 'config file (default toolkit.config.yaml / .json in the current directory)');
}

function stackOptions(cmd: Command): Command {
  return cmd
    .option('--replicas <n>', 'number of inference replicas')
    .option('--port <port>', 'published port of the load balancer (default 8000)')
    .option('--bind <address>', 'address the port is published on (default 127.0.0.1)')
    .addOption(new Option('--strategy <name>', 'load-balancing strategy (default round_robin)'))
    .option('--hash-key <key>', 'nginx hash key for --strategy hash (default $remote_addr)')
    .option('--cpus <n>', 'CPU limit per inference replica (default 1)')
    .option('--memory <size>', 'memory limit per inference replica, e.g. 512m (default 512m)')
    .option('--model <name@alias>', 'model to serve (default penguins@production)')
    .option('--grace-period <seconds>', 'seconds a replica gets to finish in-flight requests (default 10)')
    .option('--max-replicas <n>', 'upper bound on replicas (default 32)')
    .option('--bootstrap-images', 'build local base images (debootstrap) instead of pulling node/nginx');
}

export function buildCli(io: CommandIO = defaultIO(), commands: Commands = COMMANDS): Command {
  const program = new Command('toolkit')
    .description('Stand up a scalable ML inference service behind nginx on Docker, scale it, load-test it.')
    .version('0.1.0')
    .exitOverride()
    .showSuggestionAfterError()
    .configureHelp({ showGlobalOptions: true });

  stackOptions(specOptions(program.command('up')))
    .description('build what is missing and bring the stack up with N inference replicas behind nginx')
    .option(
      '--engine <kind>',
      'local (containers on this engine) or swarm (services on a swarm manager); default local',
    )
    .option('--no-watch', 'do not start the background `lb watch` that keeps nginx on the ready replicas')
    .option('--json', 'print the resulting status as JSON')
    // commander defaults `watch` to true; only an explicit --no-watch is passed on.
    .action(({ watch, ...opts }: SpecOptions & { json?: boolean; watch?: boolean }) =>
      commands.up(watch === false ? { ...opts, watch } : opts, io),
    );

  specOptions(program.command('down'))
    .description("stop the project's watcher, remove its containers and network (and volumes with --volumes)")
    .option('--volumes', 'also remove the named volumes (model registry and artifacts)')
    .option('--engine <kind>', ENGINE_HELP)
    .option('--json', 'print what was removed as JSON')
    .action((opts: SpecOptions & { volumes?: boolean; json?: boolean }) => commands.down(opts, io));

  specOptions(program.command('status'))
    .description('show services and replicas (state, readiness, address, uptime, restarts) and the watcher')
    .option('--engine <kind>', ENGINE_HELP)
    .option('--json', 'print JSON')
    .action((opts: SpecOptions & { json?: boolean }) => commands.status(opts, io));

  specOptions(program.command('logs'))
    .description('show service logs, each line prefixed with its replica')
    .argument('[service]', 'storage | registry | trainer | inference | nginx (default: all)')
    .option('--replica <n>', 'only this replica number')
    .option('-f, --follow', 'follow the logs until interrupted')
    .option('--tail <n>', 'lines from the end of each log (default all)')
    .action((service: string | undefined, opts: SpecOptions & { replica?: string; follow?: boolean; tail?: string }) =>
      commands.logs(service, opts, io),
    );

  stackOptions(specOptions(program.command('config')))
    .description('print the rendered compose file and nginx config (and write them under compose/ and nginx/)')
    .option('--json', 'print the StackSpec as JSON instead')
    .action((opts: SpecOptions & { json?: boolean }) => commands.config(opts, io));

  loadOptions(specOptions(program.command('loadtest')))
    .description('run a k6 scenario against the running stack and print req/s, latency percentiles and errors')
    .option('--port <port>', 'published port of the stack to load (default from the spec, 8000)')
    .option('--threshold <expr...>', "k6 threshold(s), e.g. 'p(95)<200' or 'http_req_failed: rate<0.01'")
    .option('--target <url>', 'load this loopback URL (e.g. one replica) instead of the load balancer')
    .option(
      '--engine <kind>',
      "where --generators run: local (k6 processes here) or swarm (Swarm tasks on the stack's overlay); default: the running stack's engine",
    )
    .option('--json', 'print the result as JSON')
    .action((opts) => commands.loadtest(opts, io));

  loadOptions(specOptions(program.command('sweep')))
    .description('scale to each replica count, measure under load, fit the USL and recommend a replica count')
    .option('--replicas <list>', 'replica counts to measure, e.g. 1,2,3,4 (sorted, distinct, ≥ 1)')
    .option('--repeat <n>', 'measurements per replica count (default 3)')
    .option('--warmup <duration>', 'warm-up load before measuring each count (default 5s)')
    .option('--slo <expr>', "latency objective for the recommendation, e.g. 'p(95)<300'")
    .option('--port <port>', 'published port of the stack (default from the spec, 8000)')
    .option('--results-dir <dir>', 'where run directories go (default results)')
    .option('--engine <kind>', ENGINE_HELP)
    .option('--json', 'print the report model as JSON')
    .action((opts) => commands.sweep(opts, io));

  program
    .command('report')
    .description('re-render a recorded run (latest by default), or compare two runs side by side')
    .argument('[run-id]', 'a directory name under results/')
    .option('--compare <run-ids...>', 'show two runs side by side')
    .option('--results-dir <dir>', 'where run directories are (default results)')
    .option('--json', 'print the report model as JSON')
    .action((runId: string | undefined, opts) => commands.report(runId, opts, io));

  const lb = program
    .command('lb')
    .description('the load balancer: strategy (switched live), per-replica statistics, the upstream watcher');
  specOptions(lb.command('strategy'))
    .description('show the balancing strategy, or switch it live without a failed request')
    .argument('[name]', 'round_robin | least_conn | weighted | ip_hash | hash | random_two_least_conn')
    .option('--key <key>', "nginx hash key for hash, e.g. '$http_x_user' or '$remote_addr'")
    .option('--weights <list>', 'per-replica weights for weighted, e.g. 1=3,2=1 (others weigh 1)')
    .option('--json', 'print JSON')
    .action((name: string | undefined, opts) => commands.lbStrategy(name, opts, io));
  specOptions(lb.command('stats'))
    .description("per replica: active, total, errors, avg/p95/last response time, weight, last used (nginx's log)")
    .option('--since <duration>', 'only requests in the last 60s, 5m, 1h (default: since the balancer started)')
    .option('--json', 'print JSON')
    .action((opts) => commands.lbStats(opts, io));
  specOptions(lb.command('watch'))
    .description(
      'keep the upstream on the running, ready replicas between commands (`up` starts one in the background)',
    )
    .option('--interval <duration>', 're-check period, e.g. 1s or 500ms (swarm: the task poll; default 1s)')
    .option('--once', 'one converge pass, then exit')
    .option('--json', 'print one JSON object per event')
    .action((opts) => commands.lbWatch(opts, io));

  specOptions(program.command('scale'))
    .description('change the number of inference replicas of the running stack, with no failed request')
    .argument('<count>', 'replicas wanted (0 only with --allow-zero; at most maxReplicas)')
    .option('--allow-zero', 'allow scaling to 0 replicas (nginx then answers 503 itself)')
    .option('--engine <kind>', ENGINE_HELP)
    .option('--wait <seconds>', 'wait this long for another toolkit command on the project to finish (default 60)')
    .option('--json', 'print the resulting status and the scale events as JSON')
    .action((count: string, opts) => commands.scale(count, opts, io));

  const chaos = program.command('chaos').description('fault injection: kill or pause an inference replica');
  specOptions(chaos.command('kill'))
    .description("signal a replica's process as a crash would; its restart policy brings it back")
    .option('--replica <n>', 'the replica number to hit')
    .option('--random', 'hit a running replica picked at random')
    .option('--signal <name>', 'KILL, TERM, 9, … (default KILL)')
    .option('--wait <seconds>', 'wait this long for another toolkit command on the project (default 60)')
    .option('--json', 'print what was done as JSON')
    .action((opts) => commands.chaosKill(opts, io));
  specOptions(chaos.command('pause'))
    .description('freeze a replica for a while (docker pause), then resume it')
    .requiredOption('--replica <n>', 'the replica number to pause')
    .option('--for <duration>', 'how long, e.g. 5s, 500ms, 2m (default 5s)')
    .option('--wait <seconds>', 'wait this long for another toolkit command on the project (default 60)')
    .option('--json', 'print what was done as JSON')
    .action((opts) => commands.chaosPause(opts, io));

  // --config here is the gate file, so the stack's own config file is --stack-config.
  program
    .command('gate')
    .description(
      'run (or read) a sweep and judge it: thresholds, scaling rules, regression against a baseline or an A/B of two URLs, images or commits',
    )
    .option('--config <file>', 'gate config (default gate.yaml)')
    .option('--stack-config <file>', "the stack's config file (default toolkit.config.yaml / .json)")
    .option('--project <name>', 'project name (default toolkit)')
    .option('--port <port>', 'published port of the stack (default 8000)')
    .option('--baseline <file>', 'a baseline saved with `toolkit baseline save`')
    .option('--baseline-run <id>', 'a recorded run to use as the baseline')
    .option('--run <id>', 'judge this recorded run instead of measuring')
    .option('--target <url>', 'load this loopback URL instead of the stack')
    .option('--baseline-image <tag>', 'A/B: run this local image as the baseline side (overrides regression.compare)')
    .option('--candidate-image <tag>', 'A/B: run this local image as the candidate side')
    .option('--baseline-commit <ref>', 'A/B: build this git commit and run it as the baseline side')
    .option('--candidate-commit <ref>', 'A/B: build this git commit and run it as the candidate side')
    .option('--markdown <file>', 'also write the verdict as Markdown (and append to $GITHUB_STEP_SUMMARY when set)')
    .option('--junit <file>', 'also write JUnit XML, one test case per check')
    .option('--results-dir <dir>', 'where run directories are (default results)')
    .option('--json', 'print the gate report as JSON')
    .action((opts) => commands.gate(opts, io));

  program
    .command('baseline')
    .description('manage baselines for `toolkit gate`')
    .command('save')
    .description('store a run (samples, stack spec, machine) as a baseline')
    .argument('[run-id]', 'a directory name under results/ (default: the latest)')
    .option('--output <file>', 'where to write it (default baselines/baseline.json)')
    .option('--results-dir <dir>', 'where run directories are (default results)')
    .option('--json', 'print the baseline summary as JSON')
    .action((runId: string | undefined, opts) => commands.baselineSave(runId, opts, io));

  return program;
}

function loadOptions(cmd: Command): Command {
  return cmd
    .option('--scenario <name>', 'predict | health | mixed | ramp | spike | open-model (default predict)')
    .option('--users <n>', 'virtual users: closed model (default 10)')
    .option('--rate <n>', 'arrivals per second: open model (not with --users)')
    .option('--duration <d>', 'how long to load, e.g. 30s (default 30s; sweep 20s)')
    .option('--batch <n>', 'instances per /predict request (default 1)')
    .option('--generators <k>', 'k6 processes sharing the load, merged into one result (1..16, default 1)');
}
