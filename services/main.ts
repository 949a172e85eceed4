// Entry point of the services image: `node services.js <service>` (bundled) or
// `tsx services/main.ts <service>` (development). It only wires env → config → start → signals;
// every service's behaviour lives in its own folder. Exit codes: 0 done, 1 failed, 2 bad usage/config.
import { setFlagsFromString } from 'node:v8';
import { ConfigError } from './common/env.ts';
import type { ServiceHandle } from './common/service.ts';

type Env = Record<string, string | undefined>;

// The project runs on Node 20 (package.json engines); the AWS SDK's "Node 22 soon" notice would
// otherwise open every service's stderr. An explicit setting in the environment still wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface ServerEntry {
  kind: 'server';
  about: string;
  start(env: Env): Promise<ServiceHandle>;
}
interface JobEntry {
  kind: 'job';
  about: string;
  run(env: Env): Promise<unknown>;
}

// Loaded lazily so a service only pays for (and only fails on) its own modules.
const SERVICES: Record<string, ServerEntry | JobEntry> = {
  storage: {
    kind: 'server',
    about: 'S3-compatible object storage over a directory (SigV4-checked)',
    async start(env) {
      const m = await import('./storage/index.ts');
      return m.startStorage(m.storageConfigFromEnv(env));
    },
  },
  registry: {
    kind: 'server',
    about: 'MLflow-style model registry; metadata in storage',
    async start(env) {
      const m = await import('./registry/index.ts');
      return m.startRegistry(m.registryConfigFromEnv(env));
    },
  },
  inference: {
    kind: 'server',
    about: 'penguins classifier over HTTP: /predict /health /ready /metrics /docs',
    async start(env) {
      const m = await import('./inference/index.ts');
      return m.startInference(m.inferenceConfigFromEnv(env));
    },
  },
  trainer: {
    kind: 'job',
    about: 'one-shot: train on the penguins CSV, upload, register, set the alias; prints a JSON result line',
    async run(env) {
      const m = await import('./trainer/index.ts');
      return m.runTrainer(m.trainerConfigFromEnv(env));
    },
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(SERVICES).map((n) => n.length));
  const lines = Object.entries(SERVICES).map(([n, s]) => `  ${n.padEnd(width)}  ${s.about}`);
  return `usage: services <service>\n\nservices:\n${lines.join('\n')}\n\nConfiguration comes from environment variables (see docs/ARCHITECTURE.md).\n`;
}

function fail(service: string, err: unknown): never {
  const code = err instanceof ConfigError ? 2 : 1;
  const reason = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${service}: ${reason.split('\n')[0]}\n`);
  process.exit(code);
}

function onSignals(service: string, handle: ServiceHandle): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`${service}: second ${signal}, exiting now\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    process.stderr.write(`${service}: ${signal} received, shutting down\n`);
    handle.close().then(
      () => process.exit(0),
      (err: unknown) => fail(service, err),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return;
  }
  const entry = name === undefined ? undefined : SERVICES[name];
  if (entry === undefined || rest.length > 0) {
    process.stderr.write(name === undefined ? usage() : `unknown or extra arguments: ${argv.join(' ')}\n\n${usage()}`);
    process.exit(2);
  }
  if (entry.kind === 'job') {
    const result = await entry.run(process.env).catch((err: unknown) => fail(name, err));
    // Exit only after stdout drained: the JSON line is what callers parse.
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
    return;
  }
  // Servers hold a small live heap (~20 MB) and churn short-lived request objects. V8 lets the old generation grow
  // by up to 2x between collections; 20 % steps keep a replica's RSS near its live size (issue 2: <= 100 MB) for a
  // few more, cheap, old-generation GCs. Read at every GC, so setting it here works; NODE_OPTIONS refuses the flag.
  setFlagsFromString('--heap-growing-percent=20');
  const handle = await entry.start(process.env).catch((err: unknown) => fail(name, err));
  onSignals(name, handle);
  process.stderr.write(`${name}: listening on ${handle.url}\n`);
}

// No top-level await: the bundle may be built as CommonJS.
main(process.argv.slice(2)).catch((err: unknown) => fail('services', err));
