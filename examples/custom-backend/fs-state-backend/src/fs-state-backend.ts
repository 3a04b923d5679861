import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  type AssetScope,
  assertOwnReference,
  BaseStateBackend,
  type ClearOptions,
  ConfigError,
  type DeserializeStateArgs,
  isStateVersion,
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
  scopePrefix,
  statePath,
  type TaskScope,
  validateScope,
  validateStateValue,
  versionOfStatePath,
} from "@flowstate/shared-state";

/** Options, from `[workers] state_backend_kwargs` (JSON). */
export interface FileSystemStateBackendOptions {
  /**
   * Folder that holds the state files. A relative path is taken from the config file's folder.
   * @default ".flowstate/state-files"
   */
  root?: string;
}

const BACKEND = "fs";
/** References per page of {@link FileSystemStateBackend.listStateRefs}. */
const PAGE_SIZE = 500;
/** How many times `get` looks again when a concurrent `set` removed the version it was about to read. */
const GET_ATTEMPTS = 5;

/**
 * Keeps every version of a value in its own file,
 * `<root>/<versionedStatePath(scope, key, version)>`; the metadata store records a `file://` URL
 * to it. A version is written to a temporary file and renamed into place, so it appears whole or
 * not at all, and no file is ever written over: a failed write leaves every reference readable.
 *
 * The contract (checked by `@flowstate/backend-test-suite`): every method validates its scope
 * first; each serialize returns a new reference; deserialize reads exactly the version named;
 * deleteStateRefs deletes exactly the versions named; listStateRefs lists them all.
 */
export class FileSystemStateBackend extends BaseStateBackend {
  readonly root: string;
  /** `file://` URL of the root, ending in `/`: every reference starts with it. */
  readonly #rootUrl: string;

  constructor(options: FileSystemStateBackendOptions = {}, context: StateBackendContext = {}) {
    super();
    const unknown = Object.keys(options).filter((k) => k !== "root");
    if (unknown.length) {
      throw new ConfigError(
        `Unknown option(s) ${unknown.join(", ")} in [workers] state_backend_kwargs for FileSystemStateBackend; the only option is "root".`,
      );
    }
    const root = options.root ?? ".flowstate/state-files";
    if (typeof root !== "string" || root === "") {
      throw new ConfigError('Option "root" of FileSystemStateBackend must be a non-empty folder path.');
    }
    this.root = isAbsolute(root) ? root : resolve(context.config?.baseDir ?? process.cwd(), root);
    this.#rootUrl = pathToFileURL(join(this.root, sep)).href;
  }

  // The direct key/value API, on top of the versions.

  /** The newest version of `key`, or `undefined`. */
  async get(scope: StateScope, key: string): Promise<string | undefined> {
    const folder = this.#keyFolder(validateScope(scope), key);
    for (let attempt = 0; attempt < GET_ATTEMPTS; attempt += 1) {
      const newest = (await this.#versions(folder, "get")).at(-1);
      if (newest === undefined) return undefined;
      const value = await this.#read(join(folder, newest), "get");
      if (value !== undefined) return value;
      // A concurrent set replaced it after the folder was read: a newer version exists.
    }
    throw new StateBackendError(`key '${key}' kept being replaced while it was read; try again.`, {
      backend: BACKEND,
      operation: "get",
      location: folder,
    });
  }

  /** Writes a new version, then removes the key's older ones. */
  async set(scope: StateScope, key: string, value: string): Promise<void> {
    const folder = this.#keyFolder(validateScope(scope), key);
    const written = await this.#writeVersion(folder, key, value, "set");
    for (const version of await this.#versions(folder, "set")) {
      // Versions sort by time: a newer one written meanwhile by another set stays.
      if (version < written) await this.#remove(join(folder, version), "set");
    }
  }

  /** Removes every version of `key`. */
  async delete(scope: StateScope, key: string): Promise<void> {
    await this.#remove(this.#keyFolder(validateScope(scope), key), "delete");
  }

  /** Removes every version under the scope's prefix (with `allMapIndices`, of every map index). */
  async clear(scope: StateScope, options: ClearOptions = {}): Promise<void> {
    await this.#remove(join(this.root, caseSafe(scopePrefix(validateScope(scope), options))), "clear");
  }

  // The hooks the sdk calls: a new version per write, read and deleted by reference.

  override async serializeTaskStateToRef({ value, key, scope }: SerializeTaskStateArgs): Promise<string> {
    return this.#writeRef(validateScope(scope, "task"), key, value);
  }

  override async deserializeTaskStateFromRef(
    stored: string,
    { key, scope }: DeserializeStateArgs<TaskScope>,
  ): Promise<string> {
    return this.#readRef(stored, validateScope(scope, "task"), key);
  }

  override async serializeAssetStateToRef({ value, key, scope }: SerializeAssetStateArgs): Promise<string> {
    return this.#writeRef(validateScope(scope, "asset"), key, value);
  }

  override async deserializeAssetStateFromRef(
    stored: string,
    { key, scope }: DeserializeStateArgs<AssetScope>,
  ): Promise<string> {
    return this.#readRef(stored, validateScope(scope, "asset"), key);
  }

  /** Deletes exactly the version files named; anything else is ignored. */
  override async deleteStateRefs(refs: readonly StateRefToDelete[]): Promise<void> {
    // Every scope and key is validated before the first file is removed.
    const files = refs.map((entry) => this.#fileToDelete(entry));
    for (const file of files) if (file !== undefined) await this.#remove(file, "delete");
  }

  /** Every version file under the scope (or the root), with its modification time. */
  override async *listStateRefs(options: ListStateRefsOptions = {}): AsyncIterable<ListedStateRef[]> {
    const prefix = options.scope === undefined ? "" : scopePrefix(validateScope(options.scope), options);
    const folder = join(this.root, caseSafe(prefix));
    const names = await this.#attempt("list", folder, () =>
      readdir(folder, { recursive: true }).catch(ifMissing([])),
    );
    let page: ListedStateRef[] = [];
    for (const name of names) {
      const file = join(folder, name);
      // Temporary files, folders and files some other program put here are not versions.
      if (versionOfStatePath(this.#statePathOf(file)) === undefined) continue;
      const info = await this.#attempt("list", file, () => stat(file).catch(ifMissing(undefined)));
      if (info === undefined) continue; // deleted since the folder was read
      page.push({ ref: pathToFileURL(file).href, writtenAt: info.mtime });
      if (page.length === PAGE_SIZE) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  async #writeRef(scope: StateScope, key: string, value: string): Promise<string> {
    const folder = this.#keyFolder(scope, key);
    const version = await this.#writeVersion(folder, key, value, "serialize");
    return pathToFileURL(join(folder, version)).href;
  }

  /** Reads the version a reference names, after checking it is one this backend writes for that scope and key. */
  async #readRef(stored: string, scope: StateScope, key: string): Promise<string> {
    const folder = this.#keyFolder(scope, key);
    const version = assertOwnReference(stored, pathToFileURL(folder).href, {
      backend: BACKEND,
      key,
      advice:
        "Was the backend's root folder changed since it was written? Point it at the original folder, or set the key again.",
    });
    const value = await this.#read(join(folder, version), "deserialize");
    if (value !== undefined) return value;
    throw new StateObjectMissingError("the file is gone; the value was deleted or the folder was cleaned.", {
      backend: BACKEND,
      operation: "deserialize",
      location: stored,
    });
  }

  /** Writes `value` to a new version file of the key's folder; returns the version. */
  async #writeVersion(
    folder: string,
    key: string,
    value: string,
    operation: StateBackendOperation,
  ): Promise<string> {
    validateStateValue(value, key);
    const version = newStateVersion();
    const file = join(folder, version);
    // Not a version name, so never read or listed; renamed into place once whole.
    const temporary = join(folder, `.${version}.${randomUUID()}.tmp`);
    await this.#attempt(operation, file, async () => {
      await mkdir(folder, { recursive: true });
      await writeFile(temporary, value, "utf8");
      await rename(temporary, file);
    }).catch(async (error) => {
      await rm(temporary, { force: true });
      throw error;
    });
    return version;
  }

  /** The version file a reference to delete names, or `undefined` when it is not one of this backend's. */
  #fileToDelete({ ref, scope, key }: StateRefToDelete): string | undefined {
    if (scope !== undefined || key !== undefined) {
      // A row the metadata store removed: only a version of that scope and key.
      const folder = this.#keyFolder(validateScope(scope), key as string);
      const version = ownReferenceVersion(ref, pathToFileURL(folder).href);
      return version === undefined ? undefined : join(folder, version);
    }
    // The orphan sweep: any version file under the root, named by exactly the URL this backend writes.
    if (typeof ref !== "string" || !ref.startsWith(this.#rootUrl)) return undefined;
    const file = pathOfFileUrl(ref);
    const path = file === undefined ? undefined : this.#statePathOf(file);
    if (path === undefined || versionOfStatePath(path) === undefined) return undefined;
    const canonical = join(this.root, caseSafe(path));
    return pathToFileURL(canonical).href === ref ? canonical : undefined;
  }

  #keyFolder(scope: StateScope, key: string): string {
    return join(this.root, caseSafe(statePath(scope, key)));
  }

  /** The storage path (as shared-state spells it) of a file under the root. */
  #statePathOf(file: string): string {
    return uncaseSafe(relative(this.root, file).split(sep).join("/"));
  }

  /** The versions in a key's folder, oldest first. */
  async #versions(folder: string, operation: StateBackendOperation): Promise<string[]> {
    const names = await this.#attempt(operation, folder, () => readdir(folder).catch(ifMissing([])));
    return names.filter(isStateVersion).sort();
  }

  async #read(file: string, operation: StateBackendOperation): Promise<string | undefined> {
    return this.#attempt(operation, file, () => readFile(file, "utf8").catch(ifMissing(undefined)));
  }

  async #remove(path: string, operation: StateBackendOperation): Promise<void> {
    await this.#attempt(operation, path, () => rm(path, { recursive: true, force: true }));
  }

  async #attempt<T>(operation: StateBackendOperation, location: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (cause) {
      const why = (cause as NodeJS.ErrnoException).code ?? "error";
      throw new StateBackendError(`${why}: check that ${this.root} exists and is writable.`, {
        backend: BACKEND,
        operation,
        location,
        cause,
      });
    }
  }
}

/** The file a `file://` URL names, or `undefined` when it names none (a malformed URL, an encoded `/`). */
function pathOfFileUrl(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}

/** A `.catch` handler: `fallback` when the file or folder does not exist, else the error again. */
function ifMissing<T>(fallback: T): (error: NodeJS.ErrnoException) => T {
  return (error) => {
    if (error.code === "ENOENT") return fallback;
    throw error;
  };
}

/**
 * Paths from shared-state differ by letter case; macOS and Windows file systems do not. Upper-case
 * letters become `^` + lower case (`^` never appears in an encoded path), so every key gets its own file.
 */
function caseSafe(path: string): string {
  return path.replace(/%[0-9A-F]{2}|[A-Z]/g, (match) =>
    match.length === 3 ? match : `^${match.toLowerCase()}`,
  );
}

/** The inverse of {@link caseSafe}. */
function uncaseSafe(path: string): string {
  return path.replace(/\^([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}
