import { InvalidScopeError, type StateScope } from "@flowstate/shared-state";

/** Checks the scope's shape (not `instanceof`: the sdk may hold another copy of shared-state). */
export function checkScope<K extends StateScope["kind"]>(
  scope: unknown,
  kind?: K,
): Extract<StateScope, { kind: K }> {
  const actual = (scope as { kind?: unknown } | null | undefined)?.kind;
  if (actual !== "task" && actual !== "asset") {
    throw new InvalidScopeError(
      "Invalid scope: expected a TaskScope or an AssetScope from @flowstate/shared-state.",
    );
  }
  if (kind !== undefined && actual !== kind) {
    throw new InvalidScopeError(`Invalid scope: the ${kind} state hook was called with a ${actual} scope.`);
  }
  return scope as Extract<StateScope, { kind: K }>;
}
