/**
 * A small, correct in-memory backend for testing the suite itself, plus faults that real backends
 * have shipped with. Each fault is injected on purpose, to show the suite catches it.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import {
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
  StateObjectMissingError,
  type StateRefToDelete,
  type StateScope,
  scopePrefix,
  statePath,
  validateScope,
  validateStateValue,
  versionOfStatePath,
} from "@flowstate/shared-state";

/** A deliberate bug. */
export type Fault =
  /** References and storage paths use only the key, not the scope. */
  | "ref-ignores-scope"
  /** clear and listStateRefs match the scope prefix without its trailing "/", so they also hit `extract_2` and map index 10. */
  | "clear-without-boundary"
  /** deserialize normalises the reference and reads whatever path it names, without checking it. */
  | "reads-any-ref"
  /** Values over 1.5 MB get one character changed at 70% of their length. */
  | "corrupts-large-values"
  /** The reference puts the tiId before the key's path, so a retry's versions have another key prefix. */
  | "ti-id-in-ref"
  /** Writes go into the version's object 64 KB at a time with a yield between, visible while being written. */
  | "torn-writes"
  /** Keys are lower-cased and NFC-normalised before building the path. */
  | "normalizes-keys"
  /** Values are not validated (numbers and lone surrogates are stored). */
  | "skips-value-validation"
  /** Every write of a key goes to one fixed version name, over the previous value (the old in-place layout). */
  | "overwrites-one-name"
  /** deleteStateRefs deletes every version of the key a reference names, not only that version. */
  | "deletes-whole-key"
  /** deleteStateRefs deletes the version a reference names whatever scope and key it is given with. */
  | "deletes-unchecked-refs"
  /** The write hooks and set store the value before checking the scope (then refuse it). */
  | "io-before-scope-check"
  /** Deserializing a version that is gone returns "" instead of throwing StateObjectMissingError. */
  | "missing-is-empty";

interface Stored {
  value: string;
  writtenAt: Date;
}

/** Namespace → versioned path (`versionedStatePath`) → stored version. */
const stores = new Map<string, Map<string, Stored>>();
const CHUNK = 64 * 1024;
/** The one version name of "overwrites-one-name": well-formed, so only overwriting gives it away. */
const FIXED_VERSION = "000000000-0000000000000000";

/** An in-memory backend; with `fault`, one deliberate bug. */
export class ReferenceBackend extends BaseStateBackend {
  private readonly storage: Map<string, Stored>;
  private readonly prefix: string;
  /** Whether close() was called, so a test can check the suite closes what it created. */
  closed = false;

  constructor(
    namespace: string,
    private readonly fault?: Fault,
  ) {
    super();
    const existing = stores.get(namespace) ?? new Map<string, Stored>();
    stores.set(namespace, existing);
    this.storage = existing;
    this.prefix = `ref://${encodePathSegment(namespace)}/`;
  }

  override async close(): Promise<void> {
    this.closed = true;
  }

  async get(scope: StateScope, key: string): Promise<string | undefined> {
    const newest = this.versionsOf(this.keyPath(validateScope(scope), key))
      .sort()
      .at(-1);
    return newest === undefined ? undefined : this.storage.get(newest)?.value;
  }

  async set(scope: StateScope, key: string, value: string): Promise<void> {
    const path = await this.write(scope, key, value);
    for (const older of this.versionsOf(keyPathOf(path))) if (older < path) this.storage.delete(older);
  }

  async delete(scope: StateScope, key: string): Promise<void> {
    for (const path of this.versionsOf(this.keyPath(validateScope(scope), key))) this.storage.delete(path);
  }

  async clear(scope: StateScope, options?: ClearOptions): Promise<void> {
    const prefix = this.scopeFilter(validateScope(scope), options);
    for (const path of this.storage.keys()) if (path.startsWith(prefix)) this.storage.delete(path);
  }

  override async serializeTaskStateToRef(args: SerializeTaskStateArgs): Promise<string> {
    const path = await this.write(args.scope, args.key, args.value, "task");
    return this.fault === "ti-id-in-ref" ? `${this.prefix}ti-${args.tiId}/${path}` : this.prefix + path;
  }

  override async deserializeTaskStateFromRef(
    stored: string,
    args: DeserializeStateArgs<StateScope>,
  ): Promise<string> {
    return this.read(stored, validateScope(args.scope, "task"), args.key);
  }

  override async serializeAssetStateToRef(args: SerializeAssetStateArgs): Promise<string> {
    return this.prefix + (await this.write(args.scope, args.key, args.value, "asset"));
  }

  override async deserializeAssetStateFromRef(
    stored: string,
    args: DeserializeStateArgs<StateScope>,
  ): Promise<string> {
    return this.read(stored, validateScope(args.scope, "asset"), args.key);
  }

  override async deleteStateRefs(refs: readonly StateRefToDelete[]): Promise<void> {
    const paths = refs.map((entry) => this.pathToDelete(entry));
    for (const path of paths) {
      if (path === undefined) continue;
      if (this.fault !== "deletes-whole-key") this.storage.delete(path);
      else for (const version of this.versionsOf(keyPathOf(path))) this.storage.delete(version);
    }
  }

  override async *listStateRefs(options: ListStateRefsOptions = {}): AsyncIterable<ListedStateRef[]> {
    const prefix = options.scope === undefined ? "" : this.scopeFilter(validateScope(options.scope), options);
    const page = [...this.storage]
      .filter(([path]) => path.startsWith(prefix) && versionOfStatePath(path) !== undefined)
      .map(([path, { writtenAt }]) => ({ ref: this.prefix + path, writtenAt }));
    if (page.length > 0) yield page;
  }

  /** The key's path without a version: where its versions live. */
  private keyPath(scope: StateScope, key: string): string {
    if (this.fault === "normalizes-keys") return statePath(scope, key.toLowerCase().normalize("NFC"));
    if (this.fault === "ref-ignores-scope") return `any/${statePath(scope, key).split("/").pop()}`;
    return statePath(scope, key);
  }

  /** The versioned paths of one key. */
  private versionsOf(keyPath: string): string[] {
    return [...this.storage.keys()].filter((path) => path.startsWith(`${keyPath}/`));
  }

  private scopeFilter(scope: StateScope, options?: ClearOptions): string {
    const prefix = scopePrefix(scope, options);
    return this.fault === "clear-without-boundary" ? prefix.slice(0, -1) : prefix;
  }

  /** Stores `value` as a new version of the key; returns its versioned path. */
  private async write(
    rawScope: StateScope,
    key: string,
    value: string,
    kind?: StateScope["kind"],
  ): Promise<string> {
    const checkFirst = this.fault !== "io-before-scope-check";
    const scope = checkFirst ? validateScope(rawScope, kind) : rawScope;
    const version = this.fault === "overwrites-one-name" ? FIXED_VERSION : newStateVersion();
    const path = `${this.keyPath(scope, key)}/${version}`;
    if (this.fault !== "skips-value-validation") validateStateValue(value, key);
    if (this.fault === "corrupts-large-values" && value.length > 1.5 * 1024 * 1024) {
      const at = Math.floor(value.length * 0.7);
      this.store(path, `${value.slice(0, at)}#${value.slice(at + 1)}`);
    } else if (this.fault === "torn-writes") {
      await this.writeInChunks(path, value);
    } else {
      this.store(path, value);
    }
    if (!checkFirst) validateScope(rawScope, kind);
    return path;
  }

  private store(path: string, value: string): void {
    this.storage.set(path, { value, writtenAt: new Date() });
  }

  private async writeInChunks(path: string, value: string): Promise<void> {
    this.store(path, "");
    for (let at = 0; at < value.length; at += CHUNK) {
      await nextTurn();
      this.store(path, (this.storage.get(path)?.value ?? "") + value.slice(at, at + CHUNK));
    }
  }

  private read(stored: string, scope: StateScope, key: string): string {
    const path = this.resolve(stored, this.keyPath(scope, key), key);
    const found = this.storage.get(path);
    if (found === undefined && this.fault === "missing-is-empty") return "";
    if (found === undefined) {
      throw new StateObjectMissingError("object is gone", {
        backend: "reference",
        operation: "deserialize",
        location: stored,
      });
    }
    return found.value;
  }

  /** The versioned path a stored reference names, or a StateReferenceError. */
  private resolve(stored: string, keyPath: string, key: string): string {
    if (this.fault === "reads-any-ref") {
      const url = new URL(stored.startsWith("ref://") ? stored : `ref://x/${stored}`);
      return decodeURI(url.pathname).replace(/^\//, "");
    }
    const own = this.fault === "ti-id-in-ref" ? stored.replace(/^(ref:\/\/[^/]+\/)ti-[^/]*\//, "$1") : stored;
    const version = assertOwnReference(own, this.prefix + keyPath, {
      backend: "reference",
      key,
      advice: "Set the key again.",
    });
    return `${keyPath}/${version}`;
  }

  /** The versioned path a reference to delete names, or undefined when it is not one to delete. */
  private pathToDelete({ ref, scope, key }: StateRefToDelete): string | undefined {
    if ((scope !== undefined || key !== undefined) && this.fault !== "deletes-unchecked-refs") {
      const keyPath = this.keyPath(validateScope(scope), key as string);
      const version = ownReferenceVersion(ref, this.prefix + keyPath);
      return version === undefined ? undefined : `${keyPath}/${version}`;
    }
    if (scope !== undefined) validateScope(scope);
    if (typeof ref !== "string" || !ref.startsWith(this.prefix)) return undefined;
    const path = ref.slice(this.prefix.length);
    return versionOfStatePath(path) === undefined ? undefined : path;
  }
}

/** A versioned path without its version. */
function keyPathOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}
