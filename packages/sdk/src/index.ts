/**
 * `@flowstate/sdk`: what runs on a worker. It reads the airflow.cfg-style configuration, loads
 * the worker state backend named by `[workers] state_backend` (like Airflow's `import_string`),
 * and gives tasks `taskState` and `assetState` accessors that route every value through it.
 * @packageDocumentation
 */
export {
  type AssetInlet,
  AssetStateAccessor,
  type AssetStateAccessorInit,
  AssetStateAccessors,
  NEVER_EXPIRE,
  type Retention,
  type SetTaskStateOptions,
  TaskStateAccessor,
  type TaskStateAccessorInit,
} from "./accessors.js";
export * from "./backend-check.js";
export {
  type ConfiguredStateBackend,
  getConfiguredStateBackend,
  getWorkerStateBackend,
  resetWorkerStateBackendCache,
} from "./backend-loader.js";
export { type ConfigLintFinding, lintConfig } from "./config/lint.js";
export {
  CONFIG_DEFAULTS,
  Config,
  type ConfigDefaults,
  type ConfigFromStringOptions,
  type ConfigOptionDescription,
  type ConfigOptionEntry,
  type ConfigOptionType,
  type LoadConfigOptions,
  loadConfig,
} from "./config.js";
export { HttpStateClient, type HttpStateClientOptions, StateApiError } from "./http-client.js";
export { type ImportStringOptions, importString } from "./import-string.js";
export {
  DEFAULT_SWEEP_GRACE_MS,
  type ExpiringStateStore,
  type MaintenanceProgress,
  type PurgeExpiredStateOptions,
  type PurgeExpiredStateResult,
  purgeExpiredState,
  type StateRowSource,
  type SweepOrphanedStateOptions,
  type SweepOrphanedStateResult,
  sweepOrphanedState,
} from "./maintenance.js";
export {
  type RunTaskOptions,
  runTask,
  type Task,
  type TaskContext,
  type TaskInstanceInfo,
  type TaskRunResult,
} from "./run-task.js";
// The author-facing part of `@flowstate/shared-state` (scopes, BaseStateBackend, errors): see state.ts.
export * from "./state.js";
export { type StateClientFromConfigOptions, stateClientFromConfig } from "./state-client.js";
export { ORPHANED_OBJECTS_WARNING } from "./state-objects.js";
