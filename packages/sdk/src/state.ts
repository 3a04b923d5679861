/**
 * The author-facing part of `@flowstate/shared-state`, re-exported by the sdk as Airflow's
 * `airflow.sdk` re-exports `airflow.sdk.state`: the backend contract and the types its methods
 * take, the scopes, and the errors task code catches (all `FlowstateError`s with a stable `code`).
 *
 * Not re-exported — import them from `@flowstate/shared-state`: the path, version and reference
 * helpers a backend implementation uses, the validation and redaction helpers, the `StateClient`
 * interface to the metadata store, and shared-state's `SetTaskStateOptions` (the store's; the
 * sdk's accessor options keep that name).
 * @module
 */
export {
  AssetNotFoundError,
  AssetScope,
  type AssetScopeInit,
  BaseStateBackend,
  type ClearOptions,
  ConfigError,
  type DeserializeStateArgs,
  FlowstateError,
  ImportStringError,
  InvalidScopeError,
  InvalidStateKeyError,
  InvalidStateValueError,
  type ListedStateRef,
  type ListStateRefsOptions,
  type SerializeAssetStateArgs,
  type SerializeTaskStateArgs,
  type StateBackend,
  type StateBackendClass,
  type StateBackendContext,
  StateBackendError,
  StateBackendLoadError,
  StateBackendMismatchError,
  type StateBackendOperation,
  StateObjectMissingError,
  StateReferenceError,
  type StateRefToDelete,
  type StateScope,
  StateStoreError,
  StateValidationError,
  TaskInstanceNotFoundError,
  TaskScope,
  type TaskScopeInit,
} from "@flowstate/shared-state";
