// The StackSpec module's public face: load it, its defaults, its types, and the container definitions built from it.
export { DEFAULT_SPEC } from './defaults.ts';
export { FIELDS } from './fields.ts';
export { formatProblem, type LoadSpecInput, loadSpec, resolveSpec, type SpecResult } from './load.ts';
export { type ServiceDef, serviceDefs } from './service-defs.ts';
export type { Problem } from './sources.ts';
export { ENGINES, type EngineKind, type SpecFlags, STRATEGIES, type StackSpec, type Strategy } from './types.ts';
