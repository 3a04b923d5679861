/**
 * A small, correct in-memory backend for testing the suite itself, plus faults that real backends
 * have shipped with. Each fault is injected on purpose, to show the suite catches it.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import {
  BaseStateBackend,
  type ClearOptions,
  type DeserializeStateArgs,
  encodePathSegment,
  type SerializeAssetStateArgs,
  type SerializeTaskStateArgs,
  StateObjectMissingError,
  StateReferenceError,
  type StateScope,
  scopePrefix,
  statePath,
  validateStateValue,
} from "@flowstate/shared-state";

/** A deliberate bug. */
export type Fault =
  /** References and storage paths use only the key, not the scope. */
  | "ref-ignores-scope"
  /** clear matches the scope prefix without its trailing "/", so it also hits `extract_2` and map index 10. */
  | "clear-without-boundary"
  /** deserialize normalises the reference and reads whatever path it names, without checking it. */
  | "reads-any-ref"
  /** Values over 1.5 MB get one character changed at 70% of their length. */
  | "corrupts-large-values"
  /** The reference embeds the tiId, so a retry gets a different reference. */
  | "ti-id-in-ref"
  /** set writes 64 KB chunks with a yield between them, so racing writers interleave. */
  | "torn-writes"
  /** Keys are lower-cased and NFC-normalised before building the path. */
  | "normalizes-keys"
  /** Values are not validated (numbers and lone surrogates are stored). */
  | "skips-value-validation";

const stores = new Map<string, Map<string, string>>();
const CHUNK = 64 * 1024;

/** An in-memory backend; with `fault`, one deliberate bug. */
export class ReferenceBackend extends BaseStateBackend {
  private readonly storage: Map<string, string>;
  private readonly prefix: string;
  /** Whether close() was called, so a test can check the suite closes what it created. */
  closed = false;

  constructor(
    namespace: string,
    private readonly fault?: Fault,
  ) {
    super();
    const existing = stores.get(namespace) ?? new Map<string, string>();
    stores.set(namespace, existing);
    this.storage = existing;
    this.prefix = `ref://${encodePathSegment(namespace)}/`;
  }

  override async close(): Promise<void> {
    this.closed = true;
  }

  async get(scope: StateScope, key: string): Promise<string | undefined> {
    return this.storage.get(this.path(scope, key));
  }

  async set(scope: StateScope, key: string, value: string): Promise<void> {
    await this.write(scope, key, value);
  }

  async delete(scope: StateScope, key: string): Promise<void> {
    this.storage.delete(this.path(scope, key));
  }

  async clear(scope: StateScope, options?: ClearOptions): Promise<void> {
    let prefix = scopePrefix(scope, options);
    if (this.fault === "clear-without-boundary") prefix = prefix.slice(0, -1);
    for (const path of this.storage.keys()) if (path.startsWith(prefix)) this.storage.delete(path);
  }

  override async serializeTaskStateToRef(args: SerializeTaskStateArgs): Promise<string> {
    const ref = await this.write(args.scope, args.key, args.value);
    return this.fault === "ti-id-in-ref" ? `${ref}?ti=${args.tiId}` : ref;
  }

  override async deserializeTaskStateFromRef(
    stored: string,
    args: DeserializeStateArgs<StateScope>,
  ): Promise<string> {
    return this.read(stored, args.scope, args.key);
  }

  override async serializeAssetStateToRef(args: SerializeAssetStateArgs): Promise<string> {
    return this.write(args.scope, args.key, args.value);
  }

  override async deserializeAssetStateFromRef(
    stored: string,
    args: DeserializeStateArgs<StateScope>,
  ): Promise<string> {
    return this.read(stored, args.scope, args.key);
  }

  private path(scope: StateScope, key: string): string {
    if (this.fault === "normalizes-keys") return statePath(scope, key.toLowerCase().normalize("NFC"));
    if (this.fault === "ref-ignores-scope") return `any/${statePath(scope, key).split("/").pop()}`;
    return statePath(scope, key);
  }

  private async write(scope: StateScope, key: string, value: string): Promise<string> {
    const path = this.path(scope, key);
    if (this.fault !== "skips-value-validation") validateStateValue(value, key);
    if (this.fault === "corrupts-large-values" && value.length > 1.5 * 1024 * 1024) {
      const at = Math.floor(value.length * 0.7);
      this.storage.set(path, `${value.slice(0, at)}#${value.slice(at + 1)}`);
    } else if (this.fault === "torn-writes") {
      await this.writeInChunks(path, value);
    } else {
      this.storage.set(path, value);
    }
    return this.prefix + path;
  }

  private async writeInChunks(path: string, value: string): Promise<void> {
    this.storage.set(path, "");
    for (let at = 0; at < value.length; at += CHUNK) {
      await nextTurn();
      this.storage.set(path, (this.storage.get(path) ?? "") + value.slice(at, at + CHUNK));
    }
  }

  private read(stored: string, scope: StateScope, key: string): string {
    const expected = this.prefix + this.path(scope, key);
    const path = this.resolve(stored, expected);
    const value = this.storage.get(path);
    if (value === undefined) {
      throw new StateObjectMissingError("object is gone", {
        backend: "reference",
        operation: "deserialize",
        location: stored,
      });
    }
    return value;
  }

  /** The storage path a stored reference names, or a StateReferenceError. */
  private resolve(stored: string, expected: string): string {
    if (this.fault === "reads-any-ref") {
      const url = new URL(stored.startsWith("ref://") ? stored : `ref://x/${stored}`);
      return decodeURI(url.pathname).replace(/^\//, "");
    }
    if (this.fault === "ti-id-in-ref" && stored.startsWith(`${expected}?ti=`))
      return expected.slice(this.prefix.length);
    if (stored !== expected) {
      throw new StateReferenceError(`not this backend's reference (expected ${expected})`, {
        backend: "reference",
        operation: "deserialize",
        location: stored,
      });
    }
    return expected.slice(this.prefix.length);
  }
}
