import {
  type AssetScope,
  BaseStateBackend,
  type ClearOptions,
  type DeserializeStateArgs,
  type SerializeAssetStateArgs,
  type SerializeTaskStateArgs,
  StateBackendError,
  type StateBackendOperation,
  StateObjectMissingError,
  type StateScope,
  type TaskScope,
  validateStateValue,
} from "@flowstate/shared-state";
import { readText } from "./read.js";
import { checkReference, objectName, objectPrefix, objectUrl, referenceFor } from "./refs.js";
import { checkScope } from "./scope.js";
import type { ObjectStorageOptions, ObjectStoreIdentity, ObjectWrite, StoredObject } from "./types.js";
import { encodeObject } from "./write.js";

/**
 * Base class of state backends that keep each value as one object in a bucket (S3, GCS, …); the
 * metadata store records only the reference `<scheme>://<bucket>/<prefix>/<statePath(scope, key)>`.
 *
 * It implements `get`/`set`/`delete`/`clear` and the four reference hooks — scope checks, key and
 * value validation before anything is written, the value codec, the exact-match reference check,
 * the closed check, and wrapping every failure in a `StateBackendError` — on top of a few storage
 * primitives a concrete backend implements with its client.
 *
 * @typeParam O the backend's resolved options.
 */
export abstract class ObjectStorageStateBackend<
  O extends ObjectStorageOptions = ObjectStorageOptions,
> extends BaseStateBackend {
  /** The options in effect, after merging kwargs over the backend's config section and applying defaults. */
  readonly options: Readonly<O>;
  /** Who this backend is: its name in messages, its reference scheme, package and config section. */
  protected readonly store: ObjectStoreIdentity;
  #closed = false;

  /**
   * @param store who the concrete backend is.
   * @param options the resolved options; frozen here.
   */
  protected constructor(store: ObjectStoreIdentity, options: O) {
    super();
    this.store = store;
    this.options = Object.freeze(options);
  }

  /** Values of at least this many UTF-8 bytes are streamed to {@link writeObject}; smaller ones come as one `Buffer`. */
  protected abstract readonly streamThreshold: number;

  /** Writes (or replaces) the object `name`. */
  protected abstract writeObject(name: string, object: ObjectWrite): Promise<void>;

  /** Opens the object `name`, or resolves `undefined` when the store says there is no such object. */
  protected abstract openObject(name: string): Promise<StoredObject | undefined>;

  /** Removes the object `name`; resolves when it does not exist. */
  protected abstract deleteObject(name: string): Promise<void>;

  /** The names of every object under `prefix`, a page at a time. */
  protected abstract listObjectNames(prefix: string): AsyncIterable<string[]>;

  /**
   * Removes the objects `names` (one page of {@link listObjectNames}), trying every one.
   * @throws StateBackendError saying how many failed and what to fix, when some could not be removed.
   */
  protected abstract deleteObjects(
    names: string[],
    prefix: string,
    operation: StateBackendOperation,
  ): Promise<void>;

  /** A {@link StateBackendError} for a client failure, whose message says what to fix and never holds a secret. */
  protected abstract wrapError(
    error: unknown,
    operation: StateBackendOperation,
    location: string,
  ): StateBackendError;

  /** Releases the client's sockets; called once, by the first {@link close}. */
  protected abstract closeClient(): void;

  /**
   * Whether a failure while reading an object's bytes means it was replaced since its metadata was
   * read (then the read starts again). For stores that pin a read to a version. Default: never.
   */
  protected isReplacedWhileReading(_error: unknown): boolean {
    return false;
  }

  /** The value stored under `key` in `scope`, or `undefined`. */
  async get(scope: StateScope, key: string): Promise<string | undefined> {
    const name = objectName(this.options, checkScope(scope), key);
    return this.#run("get", name, () => this.#readText("get", name));
  }

  /** Stores `value` under `key` in `scope`, replacing any previous value. */
  async set(scope: StateScope, key: string, value: string): Promise<void> {
    await this.#write("set", checkScope(scope), key, value);
  }

  /** Removes `key` from `scope`; no-op when it does not exist. */
  async delete(scope: StateScope, key: string): Promise<void> {
    const name = objectName(this.options, checkScope(scope), key);
    await this.#run("delete", name, () => this.deleteObject(name));
  }

  /** Removes every object of `scope` (with `allMapIndices`, of every map index of the task). */
  async clear(scope: StateScope, options?: ClearOptions): Promise<void> {
    const prefix = objectPrefix(this.options, checkScope(scope), options);
    await this.#run("clear", prefix, async () => {
      for await (const names of this.listObjectNames(prefix)) {
        if (names.length > 0) await this.deleteObjects(names, prefix, "clear");
      }
    });
  }

  /** Writes the value to the bucket and returns its reference. */
  override async serializeTaskStateToRef(args: SerializeTaskStateArgs): Promise<string> {
    return this.#serialize(checkScope(args?.scope, "task"), args.key, args.value);
  }

  /** Reads the value a reference names, after checking it is this backend's reference for that scope and key. */
  override async deserializeTaskStateFromRef(
    stored: string,
    args: DeserializeStateArgs<TaskScope>,
  ): Promise<string> {
    return this.#readReference(stored, checkScope(args?.scope, "task"), args.key);
  }

  /** Writes the value to the bucket and returns its reference. */
  override async serializeAssetStateToRef(args: SerializeAssetStateArgs): Promise<string> {
    return this.#serialize(checkScope(args?.scope, "asset"), args.key, args.value);
  }

  /** Reads the value a reference names, after checking it is this backend's reference for that scope and key. */
  override async deserializeAssetStateFromRef(
    stored: string,
    args: DeserializeStateArgs<AssetScope>,
  ): Promise<string> {
    return this.#readReference(stored, checkScope(args?.scope, "asset"), args.key);
  }

  /** Closes the client. Later calls fail with a {@link StateBackendError}. */
  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.closeClient();
  }

  async #serialize(scope: StateScope, key: string, value: string): Promise<string> {
    await this.#write("serialize", scope, key, value);
    return referenceFor(this.store, this.options, scope, key);
  }

  async #write(
    operation: StateBackendOperation,
    scope: StateScope,
    key: string,
    value: string,
  ): Promise<void> {
    const name = objectName(this.options, scope, key); // validates the key before anything is written
    validateStateValue(value, key);
    await this.#run(operation, name, async () => {
      const object = await encodeObject(value, this.options.compression, this.streamThreshold);
      await this.writeObject(name, object);
    });
  }

  async #readReference(stored: string, scope: StateScope, key: string): Promise<string> {
    const name = checkReference(stored, this.store, this.options, { scope, key });
    const value = await this.#run("deserialize", name, () => this.#readText("deserialize", name));
    if (value !== undefined) return value;
    throw new StateObjectMissingError(
      `the object this reference names is gone (deleted, cleared, or removed by a bucket lifecycle rule): set key '${key}' again.`,
      { backend: this.store.backend, operation: "deserialize", location: this.#locationOf(name) },
    );
  }

  #readText(operation: StateBackendOperation, name: string): Promise<string | undefined> {
    return readText({
      store: this.store,
      operation,
      location: this.#locationOf(name),
      open: () => this.openObject(name),
      isReplaced: (error) => this.isReplacedWhileReading(error),
    });
  }

  #locationOf(name: string): string {
    return objectUrl(this.store.scheme, this.options.bucket, name);
  }

  /** Runs one storage operation, turning every failure into a {@link StateBackendError} that says what to fix. */
  async #run<T>(operation: StateBackendOperation, name: string, work: () => Promise<T>): Promise<T> {
    const location = this.#locationOf(name);
    if (this.#closed) {
      throw new StateBackendError("the backend is closed: the sdk must load a new one.", {
        backend: this.store.backend,
        operation,
        location,
      });
    }
    try {
      return await work();
    } catch (error) {
      if (error instanceof StateBackendError) throw error;
      throw this.wrapError(error, operation, location);
    }
  }
}
