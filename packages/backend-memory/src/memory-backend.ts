import {
  type AssetScope,
  assertOwnReference,
  BaseStateBackend,
  type ClearOptions,
  type DeserializeStateArgs,
  encodePathSegment,
  type ListedStateRef,
  type ListStateRefsOptions,
  newStateVersion,
  ownReferenceVersion,
  type SerializeAssetStateArgs,
  type SerializeTaskStateArgs,
  type StateBackendContext,
  StateObjectMissingError,
  type StateRefToDelete,
  type StateScope,
  scopePrefix,
  statePath,
  type TaskScope,
  validateScope,
  validateStateValue,
  versionOfStatePath,
} from "@flowstate/shared-state";
import { type MemoryStateBackendOptions, resolveMemoryOptions } from "./options.js";
import { type NamespaceStorage, namespaceStorage } from "./storage.js";

const BACKEND = "memory";
const SCHEME = "memory://";
/** References per page of {@link MemoryStateBackend.listStateRefs}. */
const PAGE_SIZE = 1000;
const FOREIGN_REFERENCE_ADVICE =
  "It was written by another backend or namespace, or altered: configure the backend that wrote it, or clear this state.";

/** One version of one key: where {@link MemoryStateBackend.deleteStateRefs} deletes. */
interface VersionAddress {
  /** `statePath(scope, key)`. */
  path: string;
  version: string;
}

/**
 * An in-process state backend: values live in a process-wide map per namespace. Every write is a
 * new version at `versionedStatePath(scope, key, version)`, and the metadata store records
 * `memory://<namespace>/<that path>`. A real backend (a new reference per write, exact deletes,
 * listing for the orphan sweep, refusal of foreign references and bad scopes), meant for
 * development, examples and tests. Nothing survives the process.
 *
 * Class path: `@flowstate/backend-memory.MemoryStateBackend`.
 */
export class MemoryStateBackend extends BaseStateBackend {
  /** The namespace whose storage this backend shares with every other backend of that namespace. */
  readonly namespace: string;
  private readonly storage: NamespaceStorage;
  private readonly refPrefix: string;

  /**
   * @param options the JSON object of `[workers] state_backend_kwargs` (`{}` when unset).
   * @param _context unused: the memory backend reads no configuration section.
   * @throws {@link ConfigError} when an option is unknown or malformed.
   */
  constructor(options?: MemoryStateBackendOptions, _context?: StateBackendContext) {
    super();
    this.namespace = resolveMemoryOptions(options).namespace;
    this.storage = namespaceStorage(this.namespace);
    this.refPrefix = `${SCHEME}${encodePathSegment(this.namespace)}/`;
  }

  /** The newest version of `key` in `scope`, or `undefined`. */
  async get(scope: StateScope, key: string): Promise<string | undefined> {
    const versions = this.storage.get(statePath(validateScope(scope), key));
    if (versions === undefined) return undefined;
    const newest = [...versions.keys()].sort().at(-1);
    return newest === undefined ? undefined : versions.get(newest)?.value;
  }

  /** Writes `value` as a new version of `key`, then removes the key's older versions. */
  async set(scope: StateScope, key: string, value: string): Promise<void> {
    const path = statePath(validateScope(scope), key);
    const written = this.write(path, key, value);
    const versions = this.storage.get(path);
    // Versions sort by time: a newer one written meanwhile by another set stays.
    for (const version of versions?.keys() ?? []) if (version < written) versions?.delete(version);
  }

  /** Removes every version of `key` in `scope`; resolves when there is none. */
  async delete(scope: StateScope, key: string): Promise<void> {
    this.storage.delete(statePath(validateScope(scope), key));
  }

  /** Removes every version under `scopePrefix(scope, options)` and nothing else. */
  async clear(scope: StateScope, options?: ClearOptions): Promise<void> {
    const prefix = scopePrefix(validateScope(scope), options);
    for (const path of this.storage.keys()) {
      if (path.startsWith(prefix)) this.storage.delete(path);
    }
  }

  /** Stores the value as a new version and returns its `memory://` reference. */
  override async serializeTaskStateToRef(args: SerializeTaskStateArgs): Promise<string> {
    const path = statePath(validateScope(args?.scope, "task"), args.key);
    return this.reference(path, this.write(path, args.key, args.value));
  }

  /** Returns the version `stored` names, which must be one of this backend's versions of the scope and key. */
  override async deserializeTaskStateFromRef(
    stored: string,
    args: DeserializeStateArgs<TaskScope>,
  ): Promise<string> {
    return this.read(stored, statePath(validateScope(args?.scope, "task"), args.key), args.key);
  }

  /** Stores the value as a new version and returns its `memory://` reference. */
  override async serializeAssetStateToRef(args: SerializeAssetStateArgs): Promise<string> {
    const path = statePath(validateScope(args?.scope, "asset"), args.key);
    return this.reference(path, this.write(path, args.key, args.value));
  }

  /** Returns the version `stored` names, which must be one of this backend's versions of the scope and key. */
  override async deserializeAssetStateFromRef(
    stored: string,
    args: DeserializeStateArgs<AssetScope>,
  ): Promise<string> {
    return this.read(stored, statePath(validateScope(args?.scope, "asset"), args.key), args.key);
  }

  /**
   * Deletes exactly the versions named. Every scope and key is checked first, so a bad one
   * deletes nothing; a reference that is not one of this backend's versions (of that scope and
   * key, when given) is ignored.
   */
  override async deleteStateRefs(refs: readonly StateRefToDelete[]): Promise<void> {
    const addresses = refs.map((entry) => this.address(entry));
    for (const address of addresses) {
      if (address === undefined) continue;
      const versions = this.storage.get(address.path);
      versions?.delete(address.version);
      if (versions?.size === 0) this.storage.delete(address.path);
    }
  }

  /** Every version under `options.scope` (or in the namespace), with when it was written. */
  override async *listStateRefs(options: ListStateRefsOptions = {}): AsyncIterable<ListedStateRef[]> {
    const prefix = options.scope === undefined ? "" : scopePrefix(validateScope(options.scope), options);
    let page: ListedStateRef[] = [];
    for (const [path, versions] of this.storage) {
      if (!path.startsWith(prefix)) continue;
      for (const [version, { writtenAt }] of versions) {
        page.push({ ref: this.reference(path, version), writtenAt });
        if (page.length === PAGE_SIZE) {
          yield page;
          page = [];
        }
      }
    }
    if (page.length > 0) yield page;
  }

  /** Validates the value, then stores it as a new version of `path`. Returns the version. */
  private write(path: string, key: string, value: string): string {
    validateStateValue(value, key);
    const version = newStateVersion();
    const versions = this.storage.get(path) ?? new Map();
    versions.set(version, { value, writtenAt: new Date() });
    this.storage.set(path, versions);
    return version;
  }

  private read(stored: string, path: string, key: string): string {
    const version = assertOwnReference(stored, this.refPrefix + path, {
      backend: BACKEND,
      key,
      advice: FOREIGN_REFERENCE_ADVICE,
    });
    const found = this.storage.get(path)?.get(version);
    if (found === undefined) {
      throw new StateObjectMissingError(
        "the value is gone from memory (deleted, cleared, or written by another process). Set the key again.",
        { backend: BACKEND, operation: "deserialize", location: stored },
      );
    }
    return found.value;
  }

  private reference(path: string, version: string): string {
    return `${this.refPrefix}${path}/${version}`;
  }

  /**
   * The version a reference to delete names, or `undefined` when it is not one of this backend's
   * versions (with a scope and key: not one of theirs).
   * @throws {@link InvalidScopeError} / {@link InvalidStateKeyError} for a bad scope or key.
   */
  private address({ ref, scope, key }: StateRefToDelete): VersionAddress | undefined {
    if (scope !== undefined || key !== undefined) {
      const path = statePath(validateScope(scope), key as string);
      const version = ownReferenceVersion(ref, this.refPrefix + path);
      return version === undefined ? undefined : { path, version };
    }
    if (typeof ref !== "string" || !ref.startsWith(this.refPrefix)) return undefined;
    const versioned = ref.slice(this.refPrefix.length);
    const version = versionOfStatePath(versioned);
    return version === undefined ? undefined : { path: versioned.slice(0, -version.length - 1), version };
  }
}
