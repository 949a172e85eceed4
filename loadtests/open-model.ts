// Measures /predict under an open model: requests arrive at RATE per second whatever the latency
// (constant-arrival-rate), as real users do. With RAMP=<rate> the arrival rate instead ramps linearly from
// RATE to RAMP over DURATION (ramping-arrival-rate). dropped_iterations > 0 means k6 ran out of VUs
// (MAX_VUS): the target rate was not offered and the result understates the load.
import type { Scenario } from 'k6/options';
import { arrivalScenario, baseOptions, LIMITS, loadConfig } from './lib/config.ts';
import { k6Duration } from './lib/duration.ts';
import { predict } from './lib/requests.ts';

const cfg = loadConfig(__ENV, { rate: 20 });
const rate = cfg.rate ?? 20;

function rampTarget(): number | undefined {
  if (!__ENV.RAMP) return undefined;
  const n = Number(__ENV.RAMP);
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.rate) {
    throw new Error(`RAMP=${__ENV.RAMP}: expected a target arrival rate from 1 to ${LIMITS.rate}`);
  }
  return n;
}

const target = rampTarget();
const scenario: Scenario =
  target === undefined
    ? arrivalScenario(cfg, rate)
    : {
        executor: 'ramping-arrival-rate',
        startRate: rate,
        timeUnit: '1s',
        preAllocatedVUs: Math.min(cfg.maxVus, Math.max(2, Math.ceil(Math.max(rate, target) / 10))),
        maxVUs: cfg.maxVus,
        stages: [{ duration: k6Duration(cfg.durationMs), target }],
        gracefulStop: '10s',
      };

export const options = baseOptions(cfg, { open: scenario });

export default function (): void {
  predict(cfg);
}

export { handleSummary } from './lib/summary.ts';
