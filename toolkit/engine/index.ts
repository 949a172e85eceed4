// The engine's public surface: what commands call. Every function takes the Docker client as a parameter.
export { down } from './down.ts';
export type { RunningStack, StackEngine } from './engine.ts';
export { LABEL, projectFilters } from './labels.ts';
export { type LogsOptions, streamLogs } from './logs.ts';
export { type ReloadResult, reloadLoadBalancer } from './reload.ts';
export { type ReadyReplica, readRotation } from './rotation.ts';
export { engineFor, engineKindOf } from './select.ts';
export { status } from './status.ts';
export { renderStatusTable } from './status-table.ts';
export {
  DEFAULT_TIMEOUTS,
  type DownResult,
  type EngineEvent,
  type EngineImages,
  type EnginePaths,
  type EngineTimeouts,
  type ReplicaStatus,
  type ServiceStatus,
  type StackStatus,
  type TaskStatus,
  type UpContext,
} from './types.ts';
export { up } from './up.ts';
