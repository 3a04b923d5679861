import { it } from "vitest";

/**
 * What each check holds a backend to, as the first line of its failure: the methods to fix, then
 * the rule. The assertion's own message and diff follow, so a plugin author reads what to change
 * before the `expected … to equal …`.
 */
export const HINTS = {
  roundTrip: "get / set / delete: get must return what set stored, and undefined after delete.",
  missingKey:
    "get / delete / clear: a key never written is undefined; deleting it, or clearing an empty scope, must resolve, not throw.",
  clearKeys: "clear: must remove every key of the scope (every version under scopePrefix(scope)).",
  hooksRoundTrip: (hooks: string) =>
    `${hooks}: the value read back differs from the value written (the serialize hook must store the value and return a reference to it, and get must see it).`,
  deleteVersions: (hooks: string) =>
    `delete: must remove every version ${hooks} wrote for the key; reading an old reference must then throw StateObjectMissingError.`,
  clearVersions: (hooks: string) =>
    `clear: must remove every version ${hooks} wrote in the scope; reading an old reference must then throw StateObjectMissingError.`,
  writeAfterClear: (hooks: string) => `${hooks}: a scope must be writable and readable again after clear.`,
  newVersion:
    "serializeTaskStateToRef / serializeAssetStateToRef: every call must write a new version (versionedStatePath(scope, key, newStateVersion())) and return a new reference under the key's prefix, readable by every instance on the same storage.",
  retryPrefix:
    "serializeTaskStateToRef: the reference must derive from scope and key only, not tiId: a retry's version must share the key's prefix.",
  sharedStorage:
    "get / deserializeTaskStateFromRef: what one instance wrote must be readable by another instance from create() (they share storage).",
  newestVersion: "get: must read the newest version of the key, whichever instance wrote it.",
  setReplaces: "set: must write a new version and then delete the key's older versions, not other keys'.",
  noCollisions:
    "serializeTaskStateToRef / serializeAssetStateToRef / get / delete: distinct scopes and keys must never share a reference or an object; build every name with statePath / stateKeyPrefix / scopePrefix and never lower-case, normalise or shorten keys or ids.",
  exactClear:
    "delete / clear: must remove exactly that key's (or scope's) versions: match stateKeyPrefix / scopePrefix(scope, options) with their trailing '/', so extract_2, map index 10 and the same string as a uri survive.",
  refuseForeign:
    "deserializeTaskStateFromRef / deserializeAssetStateFromRef: a reference this backend did not write for that scope and key must be refused with StateReferenceError (start the hook with assertOwnReference(stored, keyReference, …)), never read.",
  objectMissing:
    "deserializeTaskStateFromRef / deserializeAssetStateFromRef: a well-formed reference whose version is gone or was never written must throw StateObjectMissingError (operation 'deserialize'), not return a value.",
  exactDeleteRefs:
    "deleteStateRefs: must delete exactly the versions named (with scope and key: only one of that key's versions, see ownReferenceVersion; alone: only one of this backend's versioned references) and nothing else.",
  ignoreForeignDeletes:
    "deleteStateRefs: references it did not write (garbage, foreign, altered, not strings, already gone) must be ignored without throwing.",
  listing:
    "listStateRefs: must yield every version stored under the scope (scopePrefix with its trailing '/'; with allMapIndices, every map index of the task), each once, as { ref, writtenAt: Date }, and nothing else.",
  byteExact:
    "set / get / serialize…ToRef / deserialize…FromRef: values must come back byte for byte (store them as UTF-8; never normalise, trim or re-encode).",
  largeValue:
    "serializeTaskStateToRef / deserializeTaskStateFromRef / get: a large value must come back whole (stream it; no truncation, padding or reordered chunks).",
  overwrite:
    "set / get / serializeTaskStateToRef: a newer value must replace the older one whole (no tail of the old value), and an older version's reference must still read it whole.",
  concurrency:
    "set / get / serializeTaskStateToRef: concurrent writers must each write their own version, and a reader must see one whole version, never a partial one (write under a new name; make it visible only when complete).",
  invalidKey:
    "validateStateKey: set, get, delete and the serialize hooks must refuse a bad key with InvalidStateKeyError before any I/O (call validateStateKey, or statePath, which validates).",
  invalidValue:
    "validateStateValue: set and the serialize hooks must call validateStateValue(value, key) before writing, so a value that is not a well-formed string throws InvalidStateValueError and the previous value stays.",
  badScope:
    "validateScope: every method (get, set, delete, clear, the four …Ref hooks, deleteStateRefs, listStateRefs) must call validateScope(scope, kind?) first, before any I/O, so a malformed scope throws InvalidScopeError and nothing is written or deleted.",
  scopeKind:
    "validateScope: the task hooks must call validateScope(scope, 'task') and the asset hooks validateScope(scope, 'asset'), so a scope of the other kind throws InvalidScopeError and nothing is written.",
  plainScope:
    "validateScope: every method must accept a plain object with a valid scope's fields (check it with validateScope, not instanceof TaskScope).",
} as const;

/** The serialize and deserialize hooks for a scope kind's label ("task scope", "asset scope by uri", …). */
export function hooksFor(label: string): string {
  return label.includes("asset")
    ? "serializeAssetStateToRef / deserializeAssetStateFromRef"
    : "serializeTaskStateToRef / deserializeTaskStateFromRef";
}

/** Puts `hint` on the first line of a failure, keeping the assertion's message (and its diff) below. */
export function withHint(error: unknown, hint: string): unknown {
  if (!(error instanceof Error)) return new Error(`${hint}\n${String(error)}`, { cause: error });
  if (!error.message.startsWith(hint)) error.message = `${hint}\n${error.message}`;
  return error;
}

/**
 * Returns vitest's `it`, whose failures start with `hint`. Test names are unchanged, so reports
 * that name them stay stable.
 */
export function contract(hint: string): (name: string, body: () => Promise<void> | void) => void {
  return (name, body) =>
    it(name, async () => {
      try {
        await body();
      } catch (error) {
        throw withHint(error, hint);
      }
    });
}
