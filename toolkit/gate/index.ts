// The performance gate's public surface.
export {
  type CheckKind,
  type CheckStatus,
  type GateCheck,
  generatorChecks,
  scalingChecks,
  thresholdChecks,
  thresholdValue,
} from './checks.ts';
export {
  type GateConfig,
  type GateProblem,
  loadGateConfig,
  parseFraction,
  parseGateConfig,
  type RegressionConfig,
  type RunConfig,
} from './config.ts';
export { type RegressionOutcome, runRegression, sampleValue } from './regression.ts';
export { renderGateJson, renderGateJunit, renderGateMarkdown, renderGateTerminal } from './render.ts';
export { parseGateThreshold, parseScalingRule } from './rules.ts';
export { checkBaselineCovers, type GateInputs, type GateReport, runGate } from './run.ts';
export { bootstrapRatioCI, mannWhitneyU, seededRandom } from './stats.ts';
export {
  DEFAULT_POLICY,
  judgeRegression,
  type RegressionJudgement,
  type RegressionPolicy,
  type Verdict,
} from './verdict.ts';
