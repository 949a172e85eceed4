// Measures how latency grows with concurrency: /predict while VUs ramp from 0 to VUS over half of DURATION,
// hold for 30%, then ramp down (ramping-vus, closed model). Read the time series to find the knee.
import { baseOptions, loadConfig } from './lib/config.ts';
import { predict } from './lib/requests.ts';
import { stagesOf } from './lib/stages.ts';

const cfg = loadConfig();

export const options = baseOptions(cfg, {
  ramp: {
    executor: 'ramping-vus',
    startVUs: 0,
    stages: stagesOf(cfg.durationMs, [
      [0.5, cfg.vus],
      [0.3, cfg.vus],
      [0.2, 0],
    ]),
    gracefulRampDown: '5s',
    gracefulStop: '10s',
  },
});

export default function (): void {
  predict(cfg);
}

export { handleSummary } from './lib/summary.ts';
