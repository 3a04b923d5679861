import type { BackendTemplateInput } from "./input.js";

/**
 * `src/index.ts`: a whole backend class that passes the conformance suite as generated. Values
 * live in an in-process Map behind a four-method store (put, get, list, delete); every call to
 * it is marked `STORAGE` so the author knows what to replace with their storage's client.
 */
export function backendSource({ name, className, scheme }: BackendTemplateInput): string {
  const optionsName = `${className}Options`;
  return `/**
 * ${name}: a flowstate worker state backend. Operators select it in airflow.cfg:
 *
 *     [workers]
 *     state_backend = ${name}.${className}
 *     state_backend_kwargs = {"namespace": "prod"}
 *
 * As generated it keeps values in an in-process Map (\`InProcessStore\` below), so it works and
 * passes the conformance suite before you change a line. To make it real, replace
 * \`InProcessStore\` with a client of your storage: every place that calls it says STORAGE.
 * @packageDocumentation
 */
import {
  type AssetScope,
  assertOwnReference,
  BaseStateBackend,
  type ClearOptions,
  ConfigError,
  type DeserializeStateArgs,
  encodePathSegment,
  type ListedStateRef,
  type ListStateRefsOptions,
  newStateVersion,
  ownReferenceVersion,
  type SerializeAssetStateArgs,
  type SerializeTaskStateArgs,
  type StateBackendContext,
  StateBackendError,
  type StateBackendOperation,
  StateObjectMissingError,
  type StateRefToDelete,
  type StateScope,
  sanitizedCause,
  scopePrefix,
  stateKeyPrefix,
  statePath,
  type TaskScope,
  validateScope,
  validateStateValue,
  versionedStatePath,
  versionOfStatePath,
} from "@flowstate/shared-state";

/** Options of {@link ${className}}: the JSON object of \`[workers] state_backend_kwargs\`. */
export interface ${optionsName} {
  /**
   * Backends with the same namespace share storage, like two workers pointed at one bucket.
   * Replace it with your storage's options (bucket, endpoint, prefix…). Credentials do not
   * belong here: read them from the environment or your client's default chain.
   * @default "default"
   */
  namespace?: string;
}

/** The backend's short name in errors: \`[flowstate] [${scheme}] set failed for …\`. */
const BACKEND = ${JSON.stringify(scheme)};
/** The scheme of the references the metadata store records for values this backend holds. */
const SCHEME = ${JSON.stringify(`${scheme}://`)};
const KNOWN_OPTIONS = ["namespace"];
/** References per page of \`listStateRefs\`. */
const PAGE_SIZE = 1000;
/** How many times \`get\` looks again when a concurrent \`set\` removed the version it was about to read. */
const GET_ATTEMPTS = 5;
const FOREIGN_REFERENCE_ADVICE =
  "It was written by another backend or namespace, or altered: configure the backend that wrote it, or set the key again.";

/** An object the store holds: its path and when it was written. */
interface StoredEntry {
  path: string;
  writtenAt: Date;
}

/**
 * STORAGE: stands in for your storage's client, with the four calls a backend needs. Objects
 * live in a process-wide Map per namespace, so every backend of one namespace sees the same
 * objects. Replace the bodies with your client's calls; give each one a timeout, and let its
 * errors through (the backend wraps them in \`StateBackendError\` without credentials).
 */
class InProcessStore {
  static readonly #namespaces = new Map<string, Map<string, { value: string; writtenAt: Date }>>();
  readonly #objects: Map<string, { value: string; writtenAt: Date }>;

  constructor(namespace: string) {
    const existing = InProcessStore.#namespaces.get(namespace);
    this.#objects = existing ?? new Map();
    if (!existing) InProcessStore.#namespaces.set(namespace, this.#objects);
  }

  /** Writes a whole object. Never called twice for one path: every write is a new version. */
  async put(path: string, value: string): Promise<void> {
    this.#objects.set(path, { value, writtenAt: new Date() });
  }

  /** The object's value, or \`undefined\` when there is none. */
  async get(path: string): Promise<string | undefined> {
    return this.#objects.get(path)?.value;
  }

  /** Every object under \`prefix\`, sorted by path (versions of a key sort oldest first). */
  async list(prefix: string): Promise<StoredEntry[]> {
    const entries: StoredEntry[] = [];
    for (const [path, { writtenAt }] of this.#objects)
      if (path.startsWith(prefix)) entries.push({ path, writtenAt });
    return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Deletes the object; resolves when it is already gone. */
  async delete(path: string): Promise<void> {
    this.#objects.delete(path);
  }

  /** Releases connections and timers. */
  async close(): Promise<void> {}
}

/**
 * A flowstate worker state backend. Every write is a new object at
 * \`versionedStatePath(scope, key, newStateVersion())\` (never over an existing one), and the
 * metadata store records \`${scheme}://<namespace>/<that path>\`. Class path: \`${name}.${className}\`.
 *
 * The contract (\`@flowstate/backend-test-suite\` checks it): every method validates its scope
 * before any I/O; each serialize returns a new reference; deserialize reads exactly the version
 * named and refuses references it did not write; deleteStateRefs deletes exactly the versions
 * named; listStateRefs lists them all.
 */
export class ${className} extends BaseStateBackend {
  /** The namespace whose objects this backend reads and writes. */
  readonly namespace: string;
  readonly #store: InProcessStore;
  /** Every reference this backend writes starts with it. */
  readonly #refPrefix: string;

  /**
   * The sdk constructs it as \`new ${className}(kwargs, { config })\`, with \`kwargs\` the JSON
   * object of \`[workers] state_backend_kwargs\` (\`{}\` when unset).
   * @param _context \`config\` reads your own section, if the backend has one (e.g. \`[${scheme}_state_backend]\`).
   * @throws ConfigError when an option is unknown or malformed.
   */
  constructor(options: ${optionsName} = {}, _context: StateBackendContext = {}) {
    super();
    this.namespace = resolveNamespace(options);
    // STORAGE: create your client here. Connect lazily, on the first call: the sdk constructs
    // the backend when a worker first touches state, and a constructor cannot be awaited.
    this.#store = new InProcessStore(this.namespace);
    this.#refPrefix = \`\${SCHEME}\${encodePathSegment(this.namespace)}/\`;
  }

  // The plain key/value API, on top of the versions.

  /** The newest version of \`key\` in \`scope\`, or \`undefined\`. */
  async get(scope: StateScope, key: string): Promise<string | undefined> {
    const prefix = stateKeyPrefix(validateScope(scope), key);
    for (let attempt = 0; attempt < GET_ATTEMPTS; attempt += 1) {
      const newest = (await this.#versions("get", prefix)).at(-1);
      if (newest === undefined) return undefined;
      const value = await this.#attempt("get", newest, () => this.#store.get(newest)); // STORAGE
      if (value !== undefined) return value;
      // A concurrent set removed it after the listing: a newer version exists.
    }
    throw new StateBackendError(\`key '\${key}' kept being replaced while it was read; try again.\`, {
      backend: BACKEND,
      operation: "get",
      location: prefix,
    });
  }

  /** Writes a new version of \`key\`, then removes the key's older versions. */
  async set(scope: StateScope, key: string, value: string): Promise<void> {
    const valid = validateScope(scope);
    const written = await this.#write("set", valid, key, value);
    for (const path of await this.#versions("set", stateKeyPrefix(valid, key))) {
      // Versions sort by time: a newer one another set wrote meanwhile stays.
      if (path < written) await this.#remove("set", path);
    }
  }

  /** Removes every version of \`key\` in \`scope\`; resolves when there is none. */
  async delete(scope: StateScope, key: string): Promise<void> {
    const prefix = stateKeyPrefix(validateScope(scope), key);
    for (const path of await this.#versions("delete", prefix)) await this.#remove("delete", path);
  }

  /** Removes every version under the scope's prefix (with \`allMapIndices\`, of every map index of the task). */
  async clear(scope: StateScope, options?: ClearOptions): Promise<void> {
    const prefix = scopePrefix(validateScope(scope), options);
    for (const path of await this.#versions("clear", prefix)) await this.#remove("clear", path);
  }

  // The hooks the sdk calls for taskState and assetState: a new version per write, read and
  // deleted by reference.

  /** Writes the value as a new version and returns its reference; the metadata store records it. */
  override async serializeTaskStateToRef({ value, key, scope }: SerializeTaskStateArgs): Promise<string> {
    const path = await this.#write("serialize", validateScope(scope, "task"), key, value);
    return this.#refPrefix + path;
  }

  /** The value of the version \`stored\` names, which must be one this backend wrote for the scope and key. */
  override async deserializeTaskStateFromRef(
    stored: string,
    { key, scope }: DeserializeStateArgs<TaskScope>,
  ): Promise<string> {
    return this.#read(stored, validateScope(scope, "task"), key);
  }

  /** Writes the value as a new version and returns its reference; the metadata store records it. */
  override async serializeAssetStateToRef({ value, key, scope }: SerializeAssetStateArgs): Promise<string> {
    const path = await this.#write("serialize", validateScope(scope, "asset"), key, value);
    return this.#refPrefix + path;
  }

  /** The value of the version \`stored\` names, which must be one this backend wrote for the scope and key. */
  override async deserializeAssetStateFromRef(
    stored: string,
    { key, scope }: DeserializeStateArgs<AssetScope>,
  ): Promise<string> {
    return this.#read(stored, validateScope(scope, "asset"), key);
  }

  /**
   * Deletes exactly the versions named: called with the rows the metadata store removed (with
   * their scope and key) and by the orphan sweep (without). Every scope and key is checked
   * before the first delete; references this backend did not write are ignored, never deleted.
   */
  override async deleteStateRefs(refs: readonly StateRefToDelete[]): Promise<void> {
    const paths = refs.map((entry) => this.#pathToDelete(entry));
    for (const path of paths) if (path !== undefined) await this.#remove("delete", path);
  }

  /** Every version under \`options.scope\` (or in the namespace), with when it was written: the orphan sweep's input. */
  override async *listStateRefs(options: ListStateRefsOptions = {}): AsyncIterable<ListedStateRef[]> {
    const prefix = options.scope === undefined ? "" : scopePrefix(validateScope(options.scope), options);
    // STORAGE: a real store lists a page at a time; yield each page as it arrives.
    const entries = await this.#attempt("list", prefix || "/", () => this.#store.list(prefix));
    let page: ListedStateRef[] = [];
    for (const { path, writtenAt } of entries) {
      if (versionOfStatePath(path) === undefined) continue; // not a version this backend wrote
      page.push({ ref: this.#refPrefix + path, writtenAt });
      if (page.length === PAGE_SIZE) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  /** Releases the client's connections and timers; the sdk calls it when it drops the backend. */
  override async close(): Promise<void> {
    await this.#store.close(); // STORAGE
  }

  /** Validates the value, then writes it as a new version of the key. Returns its path. */
  async #write(
    operation: StateBackendOperation,
    scope: StateScope,
    key: string,
    value: string,
  ): Promise<string> {
    validateStateValue(value, key);
    const path = versionedStatePath(scope, key, newStateVersion()); // <scope>/<key>/<version>
    await this.#attempt(operation, path, () => this.#store.put(path, value)); // STORAGE
    return path;
  }

  async #read(stored: string, scope: StateScope, key: string): Promise<string> {
    const version = assertOwnReference(stored, this.#refPrefix + statePath(scope, key), {
      backend: BACKEND,
      key,
      advice: FOREIGN_REFERENCE_ADVICE,
    });
    const path = versionedStatePath(scope, key, version);
    const value = await this.#attempt("deserialize", stored, () => this.#store.get(path)); // STORAGE
    if (value !== undefined) return value;
    throw new StateObjectMissingError("the version is gone (deleted or expired): set the key again.", {
      backend: BACKEND,
      operation: "deserialize",
      location: stored,
    });
  }

  /** The paths of the versions under \`prefix\`, oldest first. */
  async #versions(operation: StateBackendOperation, prefix: string): Promise<string[]> {
    const entries = await this.#attempt(operation, prefix, () => this.#store.list(prefix)); // STORAGE
    return entries.map((entry) => entry.path).filter((path) => versionOfStatePath(path) !== undefined);
  }

  async #remove(operation: StateBackendOperation, path: string): Promise<void> {
    await this.#attempt(operation, path, () => this.#store.delete(path)); // STORAGE
  }

  /**
   * The version path a reference to delete names, or \`undefined\` when it is not one of this
   * backend's versions (given a scope and key: not one of theirs).
   * @throws InvalidScopeError / InvalidStateKeyError for a bad scope or key.
   */
  #pathToDelete({ ref, scope, key }: StateRefToDelete): string | undefined {
    if (scope !== undefined || key !== undefined) {
      const valid = validateScope(scope);
      const version = ownReferenceVersion(ref, this.#refPrefix + statePath(valid, key as string));
      return version === undefined ? undefined : versionedStatePath(valid, key as string, version);
    }
    if (typeof ref !== "string" || !ref.startsWith(this.#refPrefix)) return undefined;
    const path = ref.slice(this.#refPrefix.length);
    return versionOfStatePath(path) === undefined ? undefined : path;
  }

  /** Runs a storage call; its failure becomes a StateBackendError whose cause carries no credentials. */
  async #attempt<T>(operation: StateBackendOperation, location: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      // The message must say what to fix; the cause keeps the client's error, minus credentials.
      throw new StateBackendError("check that the storage is reachable and the credentials allow it.", {
        backend: BACKEND,
        operation,
        location,
        cause: sanitizedCause(error),
      });
    }
  }
}

/** \`options.namespace\`, checked. */
function resolveNamespace(options: ${optionsName}): string {
  const where = { section: "workers", key: "state_backend_kwargs" };
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ConfigError(
      \`[workers] state_backend_kwargs for ${className} must be a JSON object such as {"namespace": "prod"}.\`,
      where,
    );
  }
  const unknown = Object.keys(options).filter((option) => !KNOWN_OPTIONS.includes(option));
  if (unknown.length > 0) {
    throw new ConfigError(
      \`Unknown option(s) \${unknown.join(", ")} in [workers] state_backend_kwargs for ${className}. Known options: \${KNOWN_OPTIONS.join(", ")}.\`,
      where,
    );
  }
  const namespace = options.namespace ?? "default";
  if (typeof namespace !== "string" || namespace === "") {
    throw new ConfigError(\`Option "namespace" of ${className} must be a non-empty string.\`, where);
  }
  return namespace;
}
`;
}
