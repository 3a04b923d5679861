import {
  type AssetScope,
  BaseStateBackend,
  type ClearOptions,
  type DeserializeStateArgs,
  InvalidScopeError,
  type SerializeAssetStateArgs,
  type SerializeTaskStateArgs,
  type StateBackendContext,
  StateBackendError,
  type StateBackendOperation,
  StateObjectMissingError,
  type StateScope,
  type TaskScope,
  validateStateValue,
} from "@flowstate/shared-state";
import type { Storage } from "@google-cloud/storage";
import { createStorage } from "./client.js";
import { deleteObject, deletePrefix } from "./delete.js";
import { BACKEND, gsUrl, wrapGcsError } from "./errors.js";
import type { GcsStateBackendOptions, ResolvedGcsOptions } from "./options.js";
import { getText } from "./read.js";
import { checkReference, objectName, objectPrefix, referenceFor } from "./refs.js";
import { resolveGcsOptions } from "./resolve-options.js";
import type { GcsTarget } from "./target.js";
import { putText } from "./write.js";

/**
 * Keeps state values in Google Cloud Storage; the metadata store records only the reference
 * `gs://<bucket>/<prefix>/<statePath(scope, key)>`.
 *
 * Configure it with `[workers] state_backend = @flowstate/backend-gcs.GcsStateBackend` and the
 * `[gcs_state_backend]` section or `[workers] state_backend_kwargs`. Credentials come from
 * Google's Application Default Credentials only.
 *
 * @example
 * ```ts
 * const backend = new GcsStateBackend({ bucket: "my-state", prefix: "flowstate/prod" });
 * ```
 */
export class GcsStateBackend extends BaseStateBackend {
  /** The options in effect, after merging kwargs over `[gcs_state_backend]` and applying defaults. */
  readonly options: Readonly<ResolvedGcsOptions>;
  readonly #storage: Storage;
  #closed = false;

  /**
   * @param options the `[workers] state_backend_kwargs` object; wins over `[gcs_state_backend]`.
   * @param context what the loader hands over: the configuration with the `[gcs_state_backend]` section.
   * @throws ConfigError when `bucket` is missing or any option is unknown or invalid.
   */
  constructor(options?: Partial<GcsStateBackendOptions>, context?: StateBackendContext) {
    super();
    this.options = Object.freeze(resolveGcsOptions(options, context?.config));
    this.#storage = createStorage(this.options);
  }

  /** The value stored under `key` in `scope`, or `undefined`. */
  async get(scope: StateScope, key: string): Promise<string | undefined> {
    const name = objectName(this.options, checkScope(scope), key);
    return this.#run("get", name, (target) => getText(target, name));
  }

  /** Stores `value` under `key` in `scope`, replacing any previous value. */
  async set(scope: StateScope, key: string, value: string): Promise<void> {
    await this.#write("set", checkScope(scope), key, value);
  }

  /** Removes `key` from `scope`; no-op when it does not exist. */
  async delete(scope: StateScope, key: string): Promise<void> {
    const name = objectName(this.options, checkScope(scope), key);
    await this.#run("delete", name, (target) => deleteObject(target, name));
  }

  /** Removes every object of `scope` (with `allMapIndices`, of every map index of the task). */
  async clear(scope: StateScope, options?: ClearOptions): Promise<void> {
    const prefix = objectPrefix(this.options, checkScope(scope), options);
    await this.#run("clear", prefix, (target) => deletePrefix(target, prefix));
  }

  /** Writes the value to GCS and returns its reference. */
  override async serializeTaskStateToRef(args: SerializeTaskStateArgs): Promise<string> {
    const scope = checkScope(args?.scope, "task");
    await this.#write("serialize", scope, args.key, args.value);
    return referenceFor(this.options, scope, args.key);
  }

  /** Reads the value a reference names, after checking it is this backend's reference for that scope and key. */
  override async deserializeTaskStateFromRef(
    stored: string,
    args: DeserializeStateArgs<TaskScope>,
  ): Promise<string> {
    return this.#readReference(stored, checkScope(args?.scope, "task"), args.key);
  }

  /** Writes the value to GCS and returns its reference. */
  override async serializeAssetStateToRef(args: SerializeAssetStateArgs): Promise<string> {
    const scope = checkScope(args?.scope, "asset");
    await this.#write("serialize", scope, args.key, args.value);
    return referenceFor(this.options, scope, args.key);
  }

  /** Reads the value a reference names, after checking it is this backend's reference for that scope and key. */
  override async deserializeAssetStateFromRef(
    stored: string,
    args: DeserializeStateArgs<AssetScope>,
  ): Promise<string> {
    return this.#readReference(stored, checkScope(args?.scope, "asset"), args.key);
  }

  /**
   * Marks the backend closed: later calls fail with a {@link StateBackendError}. The client holds
   * no sockets of its own (idle keep-alive sockets of Node's shared agent do not keep a process
   * alive), so nothing else needs releasing.
   */
  override async close(): Promise<void> {
    this.#closed = true;
  }

  async #write(
    operation: StateBackendOperation,
    scope: StateScope,
    key: string,
    value: string,
  ): Promise<void> {
    const name = objectName(this.options, scope, key); // validates the key before anything is written
    validateStateValue(value, key);
    await this.#run(operation, name, (target) => putText(target, name, value));
  }

  async #readReference(stored: string, scope: StateScope, key: string): Promise<string> {
    const name = checkReference(stored, this.options, scope, key);
    const value = await this.#run("deserialize", name, (target) => getText(target, name));
    if (value !== undefined) return value;
    throw new StateObjectMissingError(
      `the object this reference names is gone (deleted, cleared, or removed by a bucket lifecycle rule): set key '${key}' again.`,
      { backend: BACKEND, operation: "deserialize", location: gsUrl(this.options.bucket, name) },
    );
  }

  /** Runs one GCS operation, turning every failure into a {@link StateBackendError} that says what to fix. */
  async #run<T>(
    operation: StateBackendOperation,
    name: string,
    work: (target: GcsTarget) => Promise<T>,
  ): Promise<T> {
    const location = gsUrl(this.options.bucket, name);
    if (this.#closed) {
      throw new StateBackendError("the backend is closed: the sdk must load a new one.", {
        backend: BACKEND,
        operation,
        location,
      });
    }
    try {
      return await work({
        bucket: this.#storage.bucket(this.options.bucket),
        options: this.options,
        operation,
      });
    } catch (error) {
      throw wrapGcsError(error, operation, location, this.options);
    }
  }
}

/** Checks the scope's shape (not `instanceof`: the sdk may hold another copy of shared-state). */
function checkScope<K extends StateScope["kind"]>(
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
