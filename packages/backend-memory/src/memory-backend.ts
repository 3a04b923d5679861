import {
  type AssetScope,
  assertOwnReference,
  BaseStateBackend,
  type ClearOptions,
  type DeserializeStateArgs,
  encodePathSegment,
  type SerializeAssetStateArgs,
  type SerializeTaskStateArgs,
  type StateBackendContext,
  StateObjectMissingError,
  type StateScope,
  scopePrefix,
  statePath,
  type TaskScope,
  validateStateValue,
} from "@flowstate/shared-state";
import { type MemoryStateBackendOptions, resolveMemoryOptions } from "./options.js";
import { checkedScope } from "./scope.js";
import { namespaceStorage } from "./storage.js";

const BACKEND = "memory";
const SCHEME = "memory://";

/**
 * An in-process state backend: values live in a process-wide map per namespace, and the metadata
 * store records `memory://<namespace>/<statePath(scope, key)>`. A real backend (deterministic
 * references, exact delete and clear, refusal of foreign references), meant for development,
 * examples and tests. Nothing survives the process.
 *
 * Class path: `@flowstate/backend-memory.MemoryStateBackend`.
 */
export class MemoryStateBackend extends BaseStateBackend {
  /** The namespace whose storage this backend shares with every other backend of that namespace. */
  readonly namespace: string;
  private readonly storage: Map<string, string>;
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

  /** The value of `key` in `scope`, or `undefined`. */
  async get(scope: StateScope, key: string): Promise<string | undefined> {
    return this.storage.get(statePath(checkedScope(scope), key));
  }

  /** Stores `value` under `key` in `scope`, replacing any previous value. */
  async set(scope: StateScope, key: string, value: string): Promise<void> {
    this.write(checkedScope(scope), key, value);
  }

  /** Removes `key` from `scope`; resolves when it does not exist. */
  async delete(scope: StateScope, key: string): Promise<void> {
    this.storage.delete(statePath(checkedScope(scope), key));
  }

  /** Removes every path under `scopePrefix(scope, options)` and nothing else. */
  async clear(scope: StateScope, options?: ClearOptions): Promise<void> {
    const prefix = scopePrefix(checkedScope(scope), options);
    for (const path of this.storage.keys()) {
      if (path.startsWith(prefix)) this.storage.delete(path);
    }
  }

  /** Stores the value and returns its `memory://` reference. */
  override async serializeTaskStateToRef(args: SerializeTaskStateArgs): Promise<string> {
    return this.write(checkedScope(args?.scope, "task"), args.key, args.value);
  }

  /** Returns the value behind `stored`, which must be this backend's reference for the scope and key. */
  override async deserializeTaskStateFromRef(
    stored: string,
    args: DeserializeStateArgs<TaskScope>,
  ): Promise<string> {
    return this.read(stored, checkedScope(args?.scope, "task"), args.key);
  }

  /** Stores the value and returns its `memory://` reference. */
  override async serializeAssetStateToRef(args: SerializeAssetStateArgs): Promise<string> {
    return this.write(checkedScope(args?.scope, "asset"), args.key, args.value);
  }

  /** Returns the value behind `stored`, which must be this backend's reference for the scope and key. */
  override async deserializeAssetStateFromRef(
    stored: string,
    args: DeserializeStateArgs<AssetScope>,
  ): Promise<string> {
    return this.read(stored, checkedScope(args?.scope, "asset"), args.key);
  }

  /** Validates everything first, so a refused write changes nothing. */
  private write(scope: StateScope, key: string, value: string): string {
    const path = statePath(scope, key);
    validateStateValue(value, key);
    this.storage.set(path, value);
    return this.refPrefix + path;
  }

  private read(stored: string, scope: StateScope, key: string): string {
    const path = statePath(scope, key);
    const expected = this.refPrefix + path;
    assertOwnReference(stored, expected, {
      backend: BACKEND,
      key,
      advice:
        "It was written by another backend or namespace, or altered: configure the backend that wrote it, or clear this state.",
    });
    const value = this.storage.get(path);
    if (value === undefined) {
      throw new StateObjectMissingError(
        "the value is gone from memory (deleted, cleared, or written by another process). Set the key again.",
        { backend: BACKEND, operation: "deserialize", location: expected },
      );
    }
    return value;
  }
}
