// Measures POST /predict: throughput and latency of the inference path (nginx → replicas) with BATCH penguins
// per request drawn from the real data. Closed model (VUS virtual users) by default; open model when RATE is set.
//   k6 run -e VUS=10 -e DURATION=30s -e BATCH=1 loadtests/predict.ts
import { baseOptions, loadConfig, steadyScenario } from './lib/config.ts';
import { predict } from './lib/requests.ts';

const cfg = loadConfig();

export const options = baseOptions(cfg, { predict: steadyScenario(cfg) });

export default function (): void {
  predict(cfg);
}

export { handleSummary } from './lib/summary.ts';
