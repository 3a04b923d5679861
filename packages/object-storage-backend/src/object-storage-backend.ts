import {
  type AssetScope,
  BaseStateBackend,
  type ClearOptions,
  type DeserializeStateArgs,
  type ListedStateRef,
  type ListStateRefsOptions,
  newStateVersion,
  type SerializeAssetStateArgs,
  type SerializeTaskStateArgs,
  StateBackendError,
  type StateBackendOperation,
  StateObjectMissingError,
  type StateRefToDelete,
  type StateScope,
  type TaskScope,
  validateScope,
  validateStateValue,
} from "@flowstate/shared-state";
import { readText } from "./read.js";
import { ObjectNames } from "./refs.js";
import type {
  DeleteFailureContext,
  ListedObject,
  ObjectStorageOptions,
  ObjectStoreIdentity,
  ObjectWrite,
  StoredObject,
} from "./types.js";
import { checkedExpiry, encodeObject } from "./write.js";

/** How many times `get` lists a key again when its newest version vanished before it was read. */
const GET_ATTEMPTS = 3;

/**
 * Base class of state backends that keep each value as one object in a bucket (S3, GCS, …).
 * Every write is a new version, `<prefix>/<statePath(scope, key)>/<version>`, never written over
 * an existing object; the metadata store records its reference
 * `<scheme>://<bucket>/<prefix>/<statePath(scope, key)>/<version>`.
 *
 * It implements `get`/`set`/`delete`/`clear`, the four reference hooks, `deleteStateRefs` and
 * `listStateRefs` — scope checks before any I/O, key and value validation before anything is
 * written, the value codec, the reference checks, the closed check, and wrapping every failure in
 * a `StateBackendError` — on top of a few storage primitives a concrete backend implements with
 * its client.
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
  readonly #names: ObjectNames;
  #closed = false;

  /**
   * @param store who the concrete backend is.
   * @param options the resolved options; frozen here.
   */
  protected constructor(store: ObjectStoreIdentity, options: O) {
    super();
    this.store = store;
    this.options = Object.freeze(options);
    this.#names = new ObjectNames(store, this.options);
  }

  /** Values of at least this many UTF-8 bytes are streamed to {@link writeObject}; smaller ones come as one `Buffer`. */
  protected abstract readonly streamThreshold: number;

  /** Writes the object `name` (always a new name: versions are never written over). */
  protected abstract writeObject(name: string, object: ObjectWrite): Promise<void>;

  /** Opens the object `name`, or resolves `undefined` when the store says there is no such object. */
  protected abstract openObject(name: string): Promise<StoredObject | undefined>;

  /** Every object under `prefix` with when it was written, a page at a time. */
  protected abstract listObjects(prefix: string): AsyncIterable<ListedObject[]>;

  /**
   * Removes the objects `names` (any number: the backend batches them as its store allows),
   * trying every one; names that do not exist are fine.
   * @throws StateBackendError saying how many failed and what to fix, when some could not be removed.
   */
  protected abstract deleteObjects(names: readonly string[], context: DeleteFailureContext): Promise<void>;

  /** A {@link StateBackendError} for a client failure, whose message says what to fix and never holds a secret. */
  protected abstract wrapError(
    error: unknown,
    operation: StateBackendOperation,
    location: string,
  ): StateBackendError;

  /** Releases the client's sockets; called once, by the first {@link close}. */
  protected abstract closeClient(): void;

  /**
   * Whether a failure while reading an object's bytes means it was replaced or deleted since its
   * metadata was read (then the read starts again). For stores that pin a read to a generation.
   * Default: never.
   */
  protected isReplacedWhileReading(_error: unknown): boolean {
    return false;
  }

  /** The newest version of `key` in `scope`, or `undefined`. */
  async get(scope: StateScope, key: string): Promise<string | undefined> {
    const prefix = this.#names.keyPrefix(validateScope(scope), key);
    return this.#run("get", prefix, async () => {
      for (let attempt = 1; attempt <= GET_ATTEMPTS; attempt += 1) {
        const newest = await this.#newestVersion(prefix);
        if (newest === undefined) return undefined;
        const value = await this.#readText("get", newest);
        if (value !== undefined) return value;
        // Deleted between the listing and the read (a newer set, a delete): list again.
      }
      throw new StateBackendError(
        `the newest version vanished ${GET_ATTEMPTS} times before it could be read: other workers keep replacing this key; retry.`,
        { backend: this.store.backend, operation: "get", location: this.#names.url(prefix) },
      );
    });
  }

  /**
   * Writes `value` as a new version of `key` in `scope`, then deletes the versions before it.
   * Once the new version is written the value is set: a failure to delete older versions is not
   * reported (they are never read again, and the next `set`, `delete` or `clear` removes them).
   */
  async set(scope: StateScope, key: string, value: string): Promise<void> {
    const checked = validateScope(scope);
    const name = await this.#writeVersion("set", checked, key, value, undefined);
    const prefix = this.#names.keyPrefix(checked, key);
    try {
      const older: string[] = [];
      for await (const page of this.#pages("set", prefix)) {
        for (const object of page) {
          if (object.name < name && this.#isVersionOf(prefix, object)) older.push(object.name);
        }
      }
      if (older.length > 0) await this.#deleteObjects(older, "set", prefix);
    } catch {
      // The value is in; see above.
    }
  }

  /** Removes every version of `key` from `scope`; no-op when there is none. */
  async delete(scope: StateScope, key: string): Promise<void> {
    await this.#deleteUnder("delete", this.#names.keyPrefix(validateScope(scope), key));
  }

  /** Removes every object of `scope` (with `allMapIndices`, of every map index of the task). */
  async clear(scope: StateScope, options?: ClearOptions): Promise<void> {
    await this.#deleteUnder("clear", this.#names.scopePrefix(validateScope(scope), options));
  }

  /** Writes the value as a new version and returns its reference. */
  override async serializeTaskStateToRef(args: SerializeTaskStateArgs): Promise<string> {
    const scope = validateScope(args?.scope, "task");
    const expiresAt = checkedExpiry(args.expiresAt);
    return this.#names.url(await this.#writeVersion("serialize", scope, args.key, args.value, expiresAt));
  }

  /** Reads the version a reference names, after checking it is one of this backend's versions for that scope and key. */
  override async deserializeTaskStateFromRef(
    stored: string,
    args: DeserializeStateArgs<TaskScope>,
  ): Promise<string> {
    return this.#readReference(stored, validateScope(args?.scope, "task"), args.key);
  }

  /** Writes the value as a new version and returns its reference. */
  override async serializeAssetStateToRef(args: SerializeAssetStateArgs): Promise<string> {
    const scope = validateScope(args?.scope, "asset");
    return this.#names.url(await this.#writeVersion("serialize", scope, args.key, args.value, undefined));
  }

  /** Reads the version a reference names, after checking it is one of this backend's versions for that scope and key. */
  override async deserializeAssetStateFromRef(
    stored: string,
    args: DeserializeStateArgs<AssetScope>,
  ): Promise<string> {
    return this.#readReference(stored, validateScope(args?.scope, "asset"), args.key);
  }

  /**
   * Deletes exactly the versions `refs` name. A reference with a scope and key is deleted only
   * when it is one of that key's versions; one without, only when it is one of the versions this
   * backend writes (under its bucket and prefix). Anything else is ignored, never deleted.
   */
  override async deleteStateRefs(refs: readonly StateRefToDelete[]): Promise<void> {
    const names = new Set<string>();
    for (const item of refs) {
      // Every scope is checked before anything is sent.
      const scope = item?.scope === undefined ? undefined : validateScope(item.scope);
      const name = this.#names.deletableName(item?.ref, scope, item?.key);
      if (name !== undefined) names.add(name);
    }
    await this.#run("delete", this.#names.root, async () => {
      if (names.size > 0) await this.#deleteObjects([...names], "delete", this.#names.root);
    });
  }

  /**
   * Every version this backend holds (under `options.scope`, when given), a page at a time, with
   * when the store says it was written. Objects that are not versions this backend writes are
   * left out.
   */
  override async *listStateRefs(options?: ListStateRefsOptions): AsyncIterable<ListedStateRef[]> {
    const scope = options?.scope === undefined ? undefined : validateScope(options.scope);
    const prefix =
      scope === undefined
        ? this.#names.root
        : this.#names.scopePrefix(scope, { allMapIndices: options?.allMapIndices });
    for await (const page of this.#pages("list", prefix)) {
      const refs = page.flatMap(({ name, writtenAt }) => {
        const ref = this.#names.listedReference(name);
        return ref === undefined ? [] : [{ ref, writtenAt }];
      });
      if (refs.length > 0) yield refs;
    }
  }

  /** Closes the client. Later calls fail with a {@link StateBackendError}. */
  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.closeClient();
  }

  /** Writes a new version, validating the key and value before anything is sent; returns its name. */
  async #writeVersion(
    operation: StateBackendOperation,
    scope: StateScope,
    key: string,
    value: string,
    expiresAt: Date | undefined,
  ): Promise<string> {
    const name = this.#names.version(scope, key, newStateVersion()); // validates the key
    validateStateValue(value, key);
    await this.#run(operation, name, async () => {
      const { compression } = this.options;
      await this.writeObject(name, await encodeObject(value, compression, this.streamThreshold, expiresAt));
    });
    return name;
  }

  async #readReference(stored: string, scope: StateScope, key: string): Promise<string> {
    const name = this.#names.checkReference(stored, scope, key);
    const value = await this.#run("deserialize", name, () => this.#readText("deserialize", name));
    if (value !== undefined) return value;
    throw new StateObjectMissingError(
      `the object this reference names is gone (deleted, cleared, or removed by a bucket lifecycle rule): set key '${key}' again.`,
      { backend: this.store.backend, operation: "deserialize", location: this.#names.url(name) },
    );
  }

  #readText(operation: StateBackendOperation, name: string): Promise<string | undefined> {
    return readText({
      store: this.store,
      operation,
      location: this.#names.url(name),
      open: () => this.openObject(name),
      isReplaced: (error) => this.isReplacedWhileReading(error),
    });
  }

  /** The name of the newest version under a key's prefix, or `undefined` when it has none. */
  async #newestVersion(prefix: string): Promise<string | undefined> {
    let newest: string | undefined;
    for await (const page of this.#pages("get", prefix)) {
      for (const object of page) {
        // Version ids sort in the order they were made.
        if (this.#isVersionOf(prefix, object) && (newest === undefined || object.name > newest)) {
          newest = object.name;
        }
      }
    }
    return newest;
  }

  #isVersionOf(keyPrefix: string, object: ListedObject): boolean {
    return this.#names.versionUnder(keyPrefix, object.name) !== undefined;
  }

  /** Deletes every object under `prefix`, a listed page at a time. */
  async #deleteUnder(operation: StateBackendOperation, prefix: string): Promise<void> {
    for await (const page of this.#pages(operation, prefix)) {
      if (page.length > 0)
        await this.#deleteObjects(
          page.map((object) => object.name),
          operation,
          prefix,
        );
    }
  }

  #deleteObjects(names: readonly string[], operation: StateBackendOperation, prefix: string): Promise<void> {
    const location = this.#names.url(prefix);
    return this.#run(operation, prefix, () => this.deleteObjects(names, { operation, location }));
  }

  /** The pages of {@link listObjects}, each fetched through {@link #run}. */
  async *#pages(operation: StateBackendOperation, prefix: string): AsyncGenerator<ListedObject[]> {
    const pages = this.listObjects(prefix)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await this.#run(operation, prefix, () => pages.next());
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await pages.return?.();
    }
  }

  /** Runs one storage operation, turning every failure into a {@link StateBackendError} that says what to fix. */
  async #run<T>(operation: StateBackendOperation, name: string, work: () => Promise<T>): Promise<T> {
    const location = this.#names.url(name);
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
