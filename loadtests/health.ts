// Measures GET /health: the cost of the proxy and HTTP stack alone, with no model work — the floor under
// every /predict latency. Closed model by default; open model when RATE is set.
import { baseOptions, loadConfig, steadyScenario } from './lib/config.ts';
import { health } from './lib/requests.ts';

const cfg = loadConfig();

export const options = baseOptions(cfg, { health: steadyScenario(cfg) });

export default function (): void {
  health(cfg);
}

export { handleSummary } from './lib/summary.ts';
