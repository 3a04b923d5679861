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
}

/** Arguments of {@link BaseStateBackend.serializeAssetStateToRef}. */
export interface SerializeAssetStateArgs {
  value: string;
  key: string;
  /** The asset's name, or its uri when the inlet was declared by uri. */
  assetRef: string;
  scope: AssetScope;
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
  close(): Promise<void>;
}

/** A class the loader can instantiate from `[workers] state_backend`. */
export type StateBackendClass = new (options?: never, context?: StateBackendContext) => StateBackend;

/**
 * Base class of every state backend. Extend it, implement the four storage methods, and override
 * the four `…Ref` hooks to keep values in your storage and hand the metadata store a reference.
 *
 * **Contract for references.** `serialize…ToRef` must return a reference that is deterministic:
 * the same scope and key always give the same string (no timestamps, no random ids), because
 * `delete(scope, key)` and `clear(scope)` only get the scope and must find what was written.
 * Build paths with `statePath`/`scopePrefix` from this package. `deserialize…FromRef` should
 * refuse (with `StateReferenceError`) a reference it did not write for that scope and key.
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
