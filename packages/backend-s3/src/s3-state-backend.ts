import type { S3Client } from "@aws-sdk/client-s3";
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
import { createS3Client } from "./client.js";
import { deleteKey, deletePrefix } from "./delete.js";
import { BACKEND, s3Url, wrapS3Error } from "./errors.js";
import type { ResolvedS3Options, S3StateBackendOptions } from "./options.js";
import { getText } from "./read.js";
import { checkReference, objectKey, objectPrefix, referenceFor } from "./refs.js";
import { resolveS3Options } from "./resolve-options.js";
import type { S3Target } from "./target.js";
import { putText } from "./write.js";

/**
 * Keeps state values in Amazon S3 or an S3-compatible store; the metadata store records only
 * the reference `s3://<bucket>/<prefix>/<statePath(scope, key)>`.
 *
 * Configure it with `[workers] state_backend = @flowstate/backend-s3.S3StateBackend` and the
 * `[s3_state_backend]` section or `[workers] state_backend_kwargs`. Credentials come from the
 * AWS SDK's default provider chain only.
 *
 * @example
 * ```ts
 * const backend = new S3StateBackend({ bucket: "my-state", prefix: "flowstate/prod" });
 * ```
 */
export class S3StateBackend extends BaseStateBackend {
  /** The options in effect, after merging kwargs over `[s3_state_backend]` and applying defaults. */
  readonly options: Readonly<ResolvedS3Options>;
  readonly #client: S3Client;
  #closed = false;

  /**
   * @param options the `[workers] state_backend_kwargs` object; wins over `[s3_state_backend]`.
   * @param context what the loader hands over: the configuration with the `[s3_state_backend]` section.
   * @throws ConfigError when `bucket` is missing or any option is unknown or invalid.
   */
  constructor(options?: Partial<S3StateBackendOptions>, context?: StateBackendContext) {
    super();
    this.options = Object.freeze(resolveS3Options(options, context?.config));
    this.#client = createS3Client(this.options);
  }

  /** The value stored under `key` in `scope`, or `undefined`. */
  async get(scope: StateScope, key: string): Promise<string | undefined> {
    const object = objectKey(this.options, checkScope(scope), key);
    return this.#run("get", object, (target) => getText(target, object));
  }

  /** Stores `value` under `key` in `scope`, replacing any previous value. */
  async set(scope: StateScope, key: string, value: string): Promise<void> {
    await this.#write("set", checkScope(scope), key, value);
  }

  /** Removes `key` from `scope`; no-op when it does not exist. */
  async delete(scope: StateScope, key: string): Promise<void> {
    const object = objectKey(this.options, checkScope(scope), key);
    await this.#run("delete", object, (target) => deleteKey(target, object));
  }

  /** Removes every object of `scope` (with `allMapIndices`, of every map index of the task). */
  async clear(scope: StateScope, options?: ClearOptions): Promise<void> {
    const prefix = objectPrefix(this.options, checkScope(scope), options);
    await this.#run("clear", prefix, (target) => deletePrefix(target, prefix));
  }

  /** Writes the value to S3 and returns its reference. */
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

  /** Writes the value to S3 and returns its reference. */
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

  /** Destroys the S3 client and its sockets. Later calls fail with a {@link StateBackendError}. */
  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.destroy();
  }

  async #write(
    operation: StateBackendOperation,
    scope: StateScope,
    key: string,
    value: string,
  ): Promise<void> {
    const object = objectKey(this.options, scope, key); // validates the key before anything is written
    validateStateValue(value, key);
    await this.#run(operation, object, (target) => putText(target, object, value));
  }

  async #readReference(stored: string, scope: StateScope, key: string): Promise<string> {
    const object = checkReference(stored, this.options, scope, key);
    const value = await this.#run("deserialize", object, (target) => getText(target, object));
    if (value !== undefined) return value;
    throw new StateObjectMissingError(
      `the object this reference names is gone (deleted, cleared, or expired by a bucket lifecycle rule): set key '${key}' again.`,
      { backend: BACKEND, operation: "deserialize", location: s3Url(this.options.bucket, object) },
    );
  }

  /** Runs one S3 operation, turning every failure into a {@link StateBackendError} that says what to fix. */
  async #run<T>(
    operation: StateBackendOperation,
    key: string,
    work: (target: S3Target) => Promise<T>,
  ): Promise<T> {
    const location = s3Url(this.options.bucket, key);
    if (this.#closed) {
      throw new StateBackendError("the backend is closed: the sdk must load a new one.", {
        backend: BACKEND,
        operation,
        location,
      });
    }
    try {
      return await work({ client: this.#client, options: this.options, operation });
    } catch (error) {
      throw wrapS3Error(error, operation, location, this.options);
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
