// Prometheus metrics of one replica, on a registry of its own (several in-process services in a test
// must not share the global one). Label children are cached so the hot path does no label hashing.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface ModelLabels {
  name: string;
  version: string;
  alias: string;
}

export class InferenceMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly latency: Histogram<'route'>;
  /** Read at scrape time rather than set per request: the hot path only bumps a plain integer. */
  inflightSource: () => number = () => 0;
  private readonly modelInfo: Gauge<'name' | 'version' | 'alias'>;
  private readonly modelLoads: Counter<'result'>;
  private readonly counterChildren = new Map<string, { inc(): void }>();
  private readonly latencyChildren = new Map<string, { observe(v: number): void }>();

  constructor(replicaId: string) {
    this.registry.setDefaultLabels({ replica: replicaId });
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route, method and status code',
      labelNames: ['route', 'method', 'status'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request received to response sent, by route',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    const metrics = this;
    new Gauge({
      name: 'inference_inflight_requests',
      help: 'Predictions being computed right now',
      registers: [this.registry],
      collect() {
        this.set(metrics.inflightSource());
      },
    });
    this.modelInfo = new Gauge({
      name: 'inference_model_info',
      help: 'The model being served (value 1), by name, version and alias',
      labelNames: ['name', 'version', 'alias'],
      registers: [this.registry],
    });
    this.modelLoads = new Counter({
      name: 'inference_model_loads_total',
      help: 'Model load attempts, by result',
      labelNames: ['result'],
      registers: [this.registry],
    });
  }

  observeRequest(route: string, method: string, status: number, seconds: number): void {
    const key = `${route} ${method} ${status}`;
    let counter = this.counterChildren.get(key);
    if (!counter) {
      counter = this.requests.labels(route, method, String(status));
      this.counterChildren.set(key, counter);
    }
    counter.inc();
    let hist = this.latencyChildren.get(route);
    if (!hist) {
      hist = this.latency.labels(route);
      this.latencyChildren.set(route, hist);
    }
    hist.observe(seconds);
  }

  modelLoaded(model: ModelLabels): void {
    this.modelInfo.reset();
    this.modelInfo.labels(model.name, model.version, model.alias).set(1);
    this.modelLoads.labels('ok').inc();
  }

  modelLoadFailed(): void {
    this.modelLoads.labels('error').inc();
  }
}
