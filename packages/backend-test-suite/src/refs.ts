import type { StateBackend, StateScope } from "@flowstate/shared-state";

/**
 * Writes `value` through the ref hook that matches the scope's kind, as the sdk's accessors do,
 * and returns the reference the metadata store would record.
 */
export function writeRef(
  backend: StateBackend,
  scope: StateScope,
  key: string,
  value: string,
  tiId = "ti-try-1",
): Promise<string> {
  if (scope.kind === "task") return backend.serializeTaskStateToRef({ value, key, tiId, scope });
  return backend.serializeAssetStateToRef({ value, key, assetRef: scope.assetRef, scope });
}

/** Reads a stored reference back through the ref hook that matches the scope's kind. */
export function readRef(
  backend: StateBackend,
  stored: string,
  scope: StateScope,
  key: string,
): Promise<string> {
  if (scope.kind === "task") return backend.deserializeTaskStateFromRef(stored, { key, scope });
  return backend.deserializeAssetStateFromRef(stored, { key, scope });
}

/** A short label for a scope in test names and failure messages. */
export function describeScope(scope: StateScope): string {
  if (scope.kind === "task") {
    return `task ${JSON.stringify(scope.dagId)}/${JSON.stringify(scope.runId)}/${JSON.stringify(scope.taskId)}[${scope.mapIndex}]`;
  }
  return scope.name !== undefined
    ? `asset name ${JSON.stringify(scope.name)}`
    : `asset uri ${JSON.stringify(scope.uri)}`;
}
