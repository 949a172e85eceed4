// The load-test runner's public surface.
export { renderResult } from './render.ts';
export { type LoadtestContext, runLoadtest } from './run.ts';
export { SCENARIOS } from './scenarios.ts';
export type * from './types.ts';
export { validateOptions } from './validate.ts';
