// The scaling sweep's public surface.
export { dockerReplicaStats, statsFigures } from './docker-stats.ts';
export { makeSweepRunId, runSweep } from './run.ts';
export type * from './types.ts';
export { parseCounts, parseDurationSec, parseRepeat, validateCounts } from './validate.ts';
