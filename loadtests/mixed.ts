// Measures a realistic mix: mostly /predict with some /health and /ready probes, weighted by MIX
// (default "predict=8,health=1,ready=1"). Shows whether probes and predictions slow each other down.
import { baseOptions, loadConfig, type RunConfig, steadyScenario } from './lib/config.ts';
import { health, predict, ready } from './lib/requests.ts';

const cfg = loadConfig();
const ENDPOINTS: Record<string, (c: RunConfig) => void> = { predict, health, ready };

function parseMix(text: string): [(c: RunConfig) => void, number][] {
  const mix = text.split(',').map((part): [(c: RunConfig) => void, number] => {
    const [name, weight] = part.split('=').map((s) => s.trim());
    const w = Number(weight);
    if (!ENDPOINTS[name] || !(w >= 0)) {
      throw new Error(`MIX entry "${part}": expected <predict|health|ready>=<weight>`);
    }
    return [ENDPOINTS[name], w];
  });
  if (mix.reduce((s, [, w]) => s + w, 0) <= 0) throw new Error('MIX: weights add up to 0');
  return mix;
}

const mix = parseMix(__ENV.MIX || 'predict=8,health=1,ready=1');
const total = mix.reduce((s, [, w]) => s + w, 0);

export const options = baseOptions(cfg, { mixed: steadyScenario(cfg) });

export default function (): void {
  let pick = Math.random() * total;
  for (const [fn, w] of mix) {
    pick -= w;
    if (pick < 0) {
      fn(cfg);
      return;
    }
  }
  mix[mix.length - 1][0](cfg);
}

export { handleSummary } from './lib/summary.ts';
