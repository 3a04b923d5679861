import type { ConfigReader } from "./config.js";
import type { ClearOptions } from "./paths.js";
import type { AssetScope, StateScope, TaskScope } from "./scopes.js";

/**
 * The brand every state backend carries. The loader checks it (with the method shape) instead
 * of `instanceof`, which fails when a plugin and the sdk each installed their own copy of this
 * package. `Symbol.for` gives every copy the same symbol.
 */
export const STATE_BACKEND_BRAND: unique symbol = Symbol.for("flowstate.StateBackend");

/** Arguments of {@link BaseStateBackend.serializeTaskStateToRef}. */
export interface SerializeTaskStateArgs {
  value: string;
  key: string;
  /** The task instance id of this try (informational: references must derive from `scope`, shared by every try). */
  tiId: string;
  scope: TaskScope;
  /**
   * When the metadata row expires (`null`: never). A backend may also set its storage's native
   * expiry from it (GCS `customTime`, S3 object metadata); the worker-side purge deletes the
   * object either way.
   */
  expiresAt?: Date | null | undefined;
}

/** Arguments of {@link BaseStateBackend.serializeAssetStateToRef}. */
export interface SerializeAssetStateArgs {
  value: string;
  key: string;
  /** The asset's name, or its uri when the inlet was declared by uri. */
  assetRef: string;
  scope: AssetScope;
}

/**
 * A reference to delete with {@link BaseStateBackend.deleteStateRefs}. With `scope` and `key`
 * (a row the metadata store removed), the backend deletes it only when it is one of the versions
 * it writes for that scope and key; without them (the orphan sweep), only when it is one of its
 * versioned references at all.
 */
export interface StateRefToDelete {
  ref: string;
  scope?: StateScope | undefined;
  key?: string | undefined;
}

/** One object a backend holds, as {@link BaseStateBackend.listStateRefs} reports it. */
export interface ListedStateRef {
  /** The reference a serialize hook returned for it. */
  ref: string;
  /** When the storage says it was written (the orphan sweep's grace period counts from it). */
  writtenAt: Date;
}

/** Options of {@link BaseStateBackend.listStateRefs}. */
export interface ListStateRefsOptions {
  /** Only the references of this scope (with `allMapIndices`, of every map index of the task). */
  scope?: StateScope | undefined;
  allMapIndices?: boolean | undefined;
}

/** What a `deserialize…FromRef` hook knows besides the stored string. */
export interface DeserializeStateArgs<S extends StateScope> {
  key: string;
  scope: S;
}

/** What the sdk's loader hands a backend's constructor besides its options. */
export interface StateBackendContext {
  /** The loaded configuration, for backends that read their own section (e.g. `[s3_state_backend]`). */
  config?: ConfigReader | undefined;
}

/** The shape the loader accepts: {@link BaseStateBackend}'s public methods plus the brand. */
export interface StateBackend {
  readonly [STATE_BACKEND_BRAND]: true;
  get(scope: StateScope, key: string): Promise<string | undefined>;
  set(scope: StateScope, key: string, value: string): Promise<void>;
  delete(scope: StateScope, key: string): Promise<void>;
  clear(scope: StateScope, options?: ClearOptions): Promise<void>;
  serializeTaskStateToRef(args: SerializeTaskStateArgs): Promise<string>;
  deserializeTaskStateFromRef(stored: string, args: DeserializeStateArgs<TaskScope>): Promise<string>;
  serializeAssetStateToRef(args: SerializeAssetStateArgs): Promise<string>;
  deserializeAssetStateFromRef(stored: string, args: DeserializeStateArgs<AssetScope>): Promise<string>;
  deleteStateRefs(refs: readonly StateRefToDelete[]): Promise<void>;
  listStateRefs(options?: ListStateRefsOptions): AsyncIterable<ListedStateRef[]>;
  close(): Promise<void>;
}

/** A class the loader can instantiate from `[workers] state_backend`. */
export type StateBackendClass = new (options?: never, context?: StateBackendContext) => StateBackend;

/**
 * Base class of every state backend. Extend it, implement the four storage methods, and override
 * the `…Ref` hooks to keep values in your storage and hand the metadata store a reference.
 *
 * **Contract for references** (what the conformance suite checks):
 * - `serialize…ToRef` writes a **new version** on every call, at
 *   `versionedStatePath(scope, key, newStateVersion())`, never over an existing object, and
 *   returns a reference naming that version. The prefix stays derived from scope and key, so
 *   `clear(scope)` and the orphan sweep find everything a scope wrote.
 * - `deserialize…FromRef` reads exactly the version named, after refusing (with
 *   `StateReferenceError`, see `assertOwnReference`) anything that is not one of its versions for
 *   that scope and key; a version that is gone is `StateObjectMissingError`.
 * - `deleteStateRefs` deletes exactly the versions named, and ignores references it did not write.
 * - `listStateRefs` lists every version it holds, with when it was written.
 * - Every method checks its scope with `validateScope` before any I/O.
 *
 * The defaults of the `…Ref` hooks keep values in the metadata store: serialize returns the
 * value, deserialize returns what was stored, and there is nothing to delete or list.
 *
 * The loader constructs a backend as `new YourBackend(options, { config })`, where `options` is
 * the JSON object of `[workers] state_backend_kwargs` (`{}` when unset).
 */
export abstract class BaseStateBackend implements StateBackend {
  get [STATE_BACKEND_BRAND](): true {
    return true;
  }

  /** The value stored under `key` in `scope`, or `undefined`. */
  abstract get(scope: StateScope, key: string): Promise<string | undefined>;
  /** Stores `value` under `key` in `scope`, replacing any previous value. */
  abstract set(scope: StateScope, key: string, value: string): Promise<void>;
  /** Removes `key` from `scope`. No-op when it does not exist. */
  abstract delete(scope: StateScope, key: string): Promise<void>;
  /** Removes every key of `scope` (with `allMapIndices`, of every map index of a task). */
  abstract clear(scope: StateScope, options?: ClearOptions): Promise<void>;

  /**
   * Called by `taskState.set()` on the worker before the metadata store is written. Returns what
   * the store records. Default: the value unchanged (the store keeps the value).
   */
  async serializeTaskStateToRef(args: SerializeTaskStateArgs): Promise<string> {
    return args.value;
  }

  /** Called by `taskState.get()` with what the store returned. Default: `stored` unchanged. */
  async deserializeTaskStateFromRef(stored: string, _args: DeserializeStateArgs<TaskScope>): Promise<string> {
    return stored;
  }

  /** Called by `assetState.set()` before the metadata store is written. Default: the value unchanged. */
  async serializeAssetStateToRef(args: SerializeAssetStateArgs): Promise<string> {
    return args.value;
  }

  /** Called by `assetState.get()` with what the store returned. Default: `stored` unchanged. */
  async deserializeAssetStateFromRef(
    stored: string,
    _args: DeserializeStateArgs<AssetScope>,
  ): Promise<string> {
    return stored;
  }

  /**
   * Deletes the objects `refs` name: called after the metadata store removed or replaced the rows
   * that named them (delete, clear, a set's replaced version, clear_on_success, the expiry purge)
   * and by the orphan sweep. References this backend did not write are ignored, never deleted;
   * objects already gone are fine. Default: nothing (values live in the metadata store).
   */
  async deleteStateRefs(_refs: readonly StateRefToDelete[]): Promise<void> {}

  /**
   * Every reference this backend holds (under `options.scope`, when given), a page at a time, with
   * when each was written: the orphan sweep deletes those no row names once they are older than
   * its grace period. Default: none (values live in the metadata store).
   */
  async *listStateRefs(_options?: ListStateRefsOptions): AsyncIterable<ListedStateRef[]> {}

  /** Releases connections and timers. The sdk calls it when it drops a cached backend. Default: nothing. */
  async close(): Promise<void> {}
}

const REQUIRED_METHODS = [
  "get",
  "set",
  "delete",
  "clear",
  "serializeTaskStateToRef",
  "deserializeTaskStateFromRef",
  "serializeAssetStateToRef",
  "deserializeAssetStateFromRef",
  "deleteStateRefs",
  "listStateRefs",
] as const;

/**
 * Why `candidate` is not a state backend, or `undefined` when it is one: it must carry
 * {@link STATE_BACKEND_BRAND} (extend `BaseStateBackend` from any copy of this package) and have
 * every method of {@link StateBackend}.
 */
export function stateBackendProblem(candidate: unknown): string | undefined {
  if ((typeof candidate !== "object" && typeof candidate !== "function") || candidate === null) {
    return `it is ${candidate === null ? "null" : typeof candidate}, not an object`;
  }
  const record = candidate as Record<PropertyKey, unknown>;
  if (record[STATE_BACKEND_BRAND] !== true) {
    return "it does not extend BaseStateBackend from @flowstate/shared-state";
  }
  const missing = REQUIRED_METHODS.filter((m) => typeof record[m] !== "function");
  return missing.length ? `it does not implement ${missing.join(", ")}` : undefined;
}

/** Brand-and-shape check that works across separately installed copies of this package. */
export function isStateBackend(candidate: unknown): candidate is StateBackend {
  return stateBackendProblem(candidate) === undefined;
}

/** Why `candidate` is not a class whose instances are state backends, or `undefined`. */
export function stateBackendClassProblem(candidate: unknown): string | undefined {
  if (typeof candidate !== "function") {
    return `it is ${candidate === null ? "null" : typeof candidate}, not a class`;
  }
  const prototype = (candidate as { prototype?: unknown }).prototype;
  if (prototype === undefined) return "it is not a class (it has no prototype: an arrow function?)";
  return stateBackendProblem(prototype);
}

/** Whether `candidate` is a class whose instances are state backends. */
export function isStateBackendClass(candidate: unknown): candidate is StateBackendClass {
  return stateBackendClassProblem(candidate) === undefined;
}
