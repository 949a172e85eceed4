// Stage plans for the shaped scenarios, as fractions of DURATION so every shape fits the same time budget.
import type { Stage } from 'k6/options';
import { k6Duration } from './duration.ts';

/** [fraction of the total duration, target] pairs → k6 stages; the fractions should add up to 1. */
export function stagesOf(totalMs: number, plan: [number, number][]): Stage[] {
  return plan.map(([fraction, target]) => ({ duration: k6Duration(totalMs * fraction), target }));
}
