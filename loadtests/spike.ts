// Measures behaviour under a sudden spike: /predict at a baseline of VUS/10 users, a jump to VUS within 5% of
// DURATION, a hold, a drop back, then recovery at baseline (ramping-vus, closed model). Shows whether errors
// (503 from MAX_INFLIGHT) and latency settle once the spike passes.
import { baseOptions, loadConfig } from './lib/config.ts';
import { predict } from './lib/requests.ts';
import { stagesOf } from './lib/stages.ts';

const cfg = loadConfig();
const baseline = Math.max(1, Math.floor(cfg.vus / 10));

export const options = baseOptions(cfg, {
  spike: {
    executor: 'ramping-vus',
    startVUs: baseline,
    stages: stagesOf(cfg.durationMs, [
      [0.3, baseline],
      [0.05, cfg.vus],
      [0.2, cfg.vus],
      [0.05, baseline],
      [0.4, baseline],
    ]),
    gracefulRampDown: '5s',
    gracefulStop: '10s',
  },
});

export default function (): void {
  predict(cfg);
}

export { handleSummary } from './lib/summary.ts';
