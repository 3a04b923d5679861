import {
  assertOwnReference,
  type ClearOptions,
  isStateVersion,
  ownReferenceVersion,
  type StateScope,
  scopePrefix,
  stateKeyPrefix,
  statePath,
  versionedStatePath,
  versionOfStatePath,
} from "@flowstate/shared-state";
import type { ObjectStorageOptions, ObjectStoreIdentity } from "./types.js";

/** The `<scheme>://<bucket>/<name>` of an object (or a prefix), for references, messages and `location`. */
export function objectUrl(scheme: string, bucket: string, name = ""): string {
  return `${scheme}://${bucket}/${name}`;
}

/**
 * Object names and references of one backend. Every value is one version,
 * `<prefix>/<statePath(scope, key)>/<version>`, whose reference is
 * `<scheme>://<bucket>/<that name>`; the prefix of a key and of a scope are derived from them, so
 * `clear` and the orphan sweep find everything a scope wrote.
 */
export class ObjectNames {
  /** The backend's own part of the bucket: `"<prefix>/"`, or `""` without a prefix. */
  readonly root: string;

  constructor(
    private readonly store: ObjectStoreIdentity,
    private readonly options: Pick<ObjectStorageOptions, "bucket" | "prefix">,
  ) {
    this.root = options.prefix === "" ? "" : `${options.prefix}/`;
  }

  /** `<scheme>://<bucket>/<name>`. */
  url(name: string): string {
    return objectUrl(this.store.scheme, this.options.bucket, name);
  }

  /** The name of one version of `key` in `scope`. Validates the key. */
  version(scope: StateScope, key: string, version: string): string {
    return this.root + versionedStatePath(scope, key, version);
  }

  /** The prefix (ending in `/`) under which every version of `key` lies. Validates the key. */
  keyPrefix(scope: StateScope, key: string): string {
    return this.root + stateKeyPrefix(scope, key);
  }

  /** The prefix (ending in `/`) that `clear(scope, clearOptions)` empties. */
  scopePrefix(scope: StateScope, clearOptions?: ClearOptions): string {
    return this.root + scopePrefix(scope, clearOptions);
  }

  /** The reference of `key` in `scope` without a version: `<scheme>://<bucket>/<prefix>/<statePath>`. */
  keyReference(scope: StateScope, key: string): string {
    return this.url(this.root + statePath(scope, key));
  }

  /** The version a name under {@link keyPrefix} holds, or `undefined` for any other name. */
  versionUnder(keyPrefix: string, name: string): string | undefined {
    const version = name.slice(keyPrefix.length);
    return name.startsWith(keyPrefix) && isStateVersion(version) ? version : undefined;
  }

  /**
   * The object name a stored reference names, after checking that it is one of the versions this
   * backend writes for `scope` and `key`; anything else (another bucket or prefix, another key,
   * another backend's scheme, a path that climbs out, garbage) is refused, never read.
   * @throws {@link StateReferenceError}
   */
  checkReference(stored: unknown, scope: StateScope, key: string): string {
    const version = assertOwnReference(stored, this.keyReference(scope, key), {
      backend: this.store.backend,
      key,
      advice: `It names another bucket, prefix or key: was [${this.store.configSection}] bucket or prefix changed since it was written? Point the backend at the original location, or set the key again.`,
    });
    return this.version(scope, key, version);
  }

  /**
   * The object name of a reference to delete, or `undefined` when it is not one to delete: with
   * `scope` and `key`, it must be one of that key's versions; with `scope` only, a version under
   * that scope; without them, any version this backend writes.
   */
  deletableName(ref: unknown, scope?: StateScope, key?: string): string | undefined {
    if (typeof ref !== "string") return undefined;
    if (scope !== undefined && key !== undefined) {
      const version = ownReferenceVersion(ref, this.keyReference(scope, key));
      return version === undefined ? undefined : this.version(scope, key, version);
    }
    const name = this.#nameOf(ref);
    if (name === undefined || (scope !== undefined && !name.startsWith(this.scopePrefix(scope)))) {
      return undefined;
    }
    return name;
  }

  /** The reference of a listed name, or `undefined` when the name is not a version this backend writes. */
  listedReference(name: string): string | undefined {
    const path = name.slice(this.root.length);
    return name.startsWith(this.root) && versionOfStatePath(path) !== undefined ? this.url(name) : undefined;
  }

  // The name a reference to a version under this backend's root names.
  #nameOf(ref: string): string | undefined {
    const base = this.url(this.root);
    if (!ref.startsWith(base)) return undefined;
    const name = this.root + ref.slice(base.length);
    return this.listedReference(name) === undefined ? undefined : name;
  }
}
