import { AssetScope, InvalidScopeError, type StateScope, TaskScope } from "@flowstate/shared-state";

/**
 * Rebuilds `scope` through the scope constructors, which validate every id, so that a hand-made
 * object (or one from another copy of shared-state) with a bad id is refused before any write.
 * @throws {@link InvalidScopeError}
 */
export function checkedScope<K extends StateScope["kind"]>(
  scope: unknown,
  kind?: K,
): Extract<StateScope, { kind: K }> {
  const candidate = scope as StateScope | null | undefined;
  const actual = candidate?.kind;
  if (actual !== "task" && actual !== "asset") {
    throw new InvalidScopeError(
      `Invalid scope: expected a TaskScope or AssetScope from @flowstate/shared-state, got ${scope === null ? "null" : typeof scope}.`,
    );
  }
  if (kind !== undefined && actual !== kind) {
    throw new InvalidScopeError(`Invalid scope: expected a ${kind} scope here, got a ${actual} scope.`);
  }
  const rebuilt =
    candidate?.kind === "task" ? new TaskScope(candidate) : new AssetScope(candidate as AssetScope);
  return rebuilt as Extract<StateScope, { kind: K }>;
}
