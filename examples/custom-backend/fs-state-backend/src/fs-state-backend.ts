import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type AssetScope,
  assertOwnReference,
  BaseStateBackend,
  type ClearOptions,
  ConfigError,
  type DeserializeStateArgs,
  type SerializeAssetStateArgs,
  type SerializeTaskStateArgs,
  type StateBackendContext,
  StateBackendError,
  type StateBackendOperation,
  StateObjectMissingError,
  type StateScope,
  scopePrefix,
  statePath,
  type TaskScope,
  validateStateValue,
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

/**
 * Keeps each value in a file at `<root>/<statePath(scope, key)>`; the metadata store records a
 * `file://` URL to it. Writes go to a temporary file renamed into place, so a reader or a
 * concurrent writer never sees half a value.
 */
export class FileSystemStateBackend extends BaseStateBackend {
  readonly root: string;

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
  }

  async get(scope: StateScope, key: string): Promise<string | undefined> {
    return this.#read(this.#file(scope, key), "get");
  }

  async set(scope: StateScope, key: string, value: string): Promise<void> {
    validateStateValue(value, key);
    const file = this.#file(scope, key);
    const temporary = `${file}.${randomUUID()}.tmp`;
    await this.#attempt("set", file, async () => {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(temporary, value, "utf8");
      await rename(temporary, file);
    }).catch(async (error) => {
      await rm(temporary, { force: true });
      throw error;
    });
  }

  async delete(scope: StateScope, key: string): Promise<void> {
    const file = this.#file(scope, key);
    await this.#attempt("delete", file, () => rm(file, { force: true }));
  }

  async clear(scope: StateScope, options: ClearOptions = {}): Promise<void> {
    const folder = join(this.root, caseSafe(scopePrefix(scope, options)));
    await this.#attempt("clear", folder, () => rm(folder, { recursive: true, force: true }));
  }

  override async serializeTaskStateToRef({ value, key, scope }: SerializeTaskStateArgs): Promise<string> {
    await this.set(scope, key, value);
    return this.#ref(scope, key);
  }

  override async deserializeTaskStateFromRef(
    stored: string,
    { key, scope }: DeserializeStateArgs<TaskScope>,
  ) {
    return this.#resolve(stored, scope, key);
  }

  override async serializeAssetStateToRef({ value, key, scope }: SerializeAssetStateArgs): Promise<string> {
    await this.set(scope, key, value);
    return this.#ref(scope, key);
  }

  override async deserializeAssetStateFromRef(
    stored: string,
    { key, scope }: DeserializeStateArgs<AssetScope>,
  ) {
    return this.#resolve(stored, scope, key);
  }

  /** Reads the value a reference names, after checking it is the one this backend writes for that scope and key. */
  async #resolve(stored: string, scope: StateScope, key: string): Promise<string> {
    assertOwnReference(stored, this.#ref(scope, key), {
      backend: BACKEND,
      key,
      advice:
        "Was the backend's root folder changed since it was written? Point it at the original folder, or set the key again.",
    });
    const value = await this.#read(this.#file(scope, key), "deserialize");
    if (value !== undefined) return value;
    throw new StateObjectMissingError("the file is gone; the value was deleted or the folder was cleaned.", {
      backend: BACKEND,
      operation: "deserialize",
      location: stored,
    });
  }

  #file(scope: StateScope, key: string): string {
    return join(this.root, caseSafe(statePath(scope, key)));
  }

  #ref(scope: StateScope, key: string): string {
    return pathToFileURL(this.#file(scope, key)).href;
  }

  async #read(file: string, operation: StateBackendOperation): Promise<string | undefined> {
    return this.#attempt(operation, file, () =>
      readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      }),
    );
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

/**
 * Paths from shared-state differ by letter case; macOS and Windows file systems do not. Upper-case
 * letters become `^` + lower case (`^` never appears in an encoded path), so every key gets its own file.
 */
function caseSafe(path: string): string {
  return path.replace(/%[0-9A-F]{2}|[A-Z]/g, (match) =>
    match.length === 3 ? match : `^${match.toLowerCase()}`,
  );
}
