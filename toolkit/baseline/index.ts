// Baselines: recorded samples with their stack spec and machine, and whether a comparison against them is fair.
export { type Compatibility, type CurrentConditions, checkCompatibility, diffObjects } from './compat.ts';
export {
  type Baseline,
  type BaselineSample,
  baselineFromSweep,
  DEFAULT_BASELINE_FILE,
  type LoadShape,
  loadBaseline,
  type Provenance,
  provenanceOf,
  readRecordedRun,
  sampleOf,
  saveBaseline,
  sweepFromLoadtest,
} from './store.ts';
