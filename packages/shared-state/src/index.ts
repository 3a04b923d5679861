/**
 * `@flowstate/shared-state`: what every flowstate package agrees on — state scopes, the
 * {@link BaseStateBackend} contract, the one path encoding, the {@link StateClient} interface to
 * the metadata store, validation, and the typed errors. No I/O, no dependencies.
 * @packageDocumentation
 */
export {
  BaseStateBackend,
  type DeserializeStateArgs,
  isStateBackend,
  isStateBackendClass,
  type ListedStateRef,
  type ListStateRefsOptions,
  type SerializeAssetStateArgs,
  type SerializeTaskStateArgs,
  STATE_BACKEND_BRAND,
  type StateBackend,
  type StateBackendClass,
  type StateBackendContext,
  type StateRefToDelete,
  stateBackendClassProblem,
  stateBackendProblem,
} from "./backend.js";
export type {
  AssetIdentity,
  AssetRef,
  RemovedAssetState,
  RemovedTaskState,
  SetAssetStateOptions,
  SetTaskStateOptions,
  StateClient,
  StoredState,
  SucceedTaskResult,
} from "./client.js";
export type { ConfigReader } from "./config.js";
export {
  AssetNotFoundError,
  ConfigError,
  type ConfigValueSource,
  FlowstateError,
  ImportStringError,
  type ImportStringFailure,
  InvalidScopeError,
  InvalidStateKeyError,
  InvalidStateValueError,
  StateBackendError,
  type StateBackendErrorDetails,
  StateBackendLoadError,
  StateBackendMismatchError,
  type StateBackendOperation,
  StateObjectMissingError,
  StateReferenceError,
  StateStoreError,
  StateValidationError,
  TaskInstanceNotFoundError,
} from "./errors.js";
export {
  type ClearOptions,
  encodePathSegment,
  joinStoragePath,
  MAX_ENCODED_SEGMENT_LENGTH,
  normalizeStoragePrefix,
  scopePrefix,
  scopeSegments,
  statePath,
} from "./paths.js";
export { isCredentialName, redactSecrets, redactUrl, sanitizedCause } from "./redact.js";
export {
  assertOwnReference,
  type OwnReferenceCheck,
  ownReferenceVersion,
  previewReference,
} from "./references.js";
export {
  AssetScope,
  type AssetScopeInit,
  type StateScope,
  TaskScope,
  type TaskScopeInit,
  validateScope,
} from "./scopes.js";
export {
  MAX_ASSET_REF_LENGTH,
  MAX_ID_LENGTH,
  MAX_STATE_KEY_LENGTH,
  validateScopeId,
  validateStateKey,
  validateStateValue,
} from "./validation.js";
export {
  isStateVersion,
  newStateVersion,
  stateKeyPrefix,
  versionedStatePath,
  versionOfStatePath,
} from "./versions.js";
