import {
  assertOwnReference,
  type ClearOptions,
  joinStoragePath,
  type StateScope,
  scopePrefix,
  statePath,
} from "@flowstate/shared-state";
import type { ObjectStorageOptions, ObjectStoreIdentity } from "./types.js";

/** The `<scheme>://<bucket>/<name>` of an object (or a prefix), for references, messages and `location`. */
export function objectUrl(scheme: string, bucket: string, name = ""): string {
  return `${scheme}://${bucket}/${name}`;
}

/** The object name of `key` in `scope`: `<prefix>/<statePath(scope, key)>`. Validates the key. */
export function objectName(options: ObjectStorageOptions, scope: StateScope, key: string): string {
  return joinStoragePath(options.prefix, statePath(scope, key));
}

/** The name prefix (ending in `/`) that `clear(scope, clearOptions)` empties. */
export function objectPrefix(
  options: ObjectStorageOptions,
  scope: StateScope,
  clearOptions?: ClearOptions,
): string {
  return joinStoragePath(options.prefix, scopePrefix(scope, clearOptions));
}

/** The reference the metadata store records: `<scheme>://<bucket>/<prefix>/<statePath(scope, key)>`. */
export function referenceFor(
  store: ObjectStoreIdentity,
  options: ObjectStorageOptions,
  scope: StateScope,
  key: string,
): string {
  return objectUrl(store.scheme, options.bucket, objectName(options, scope, key));
}

/**
 * The object name of a stored reference, after checking that it is exactly the reference this
 * backend writes for `scope` and `key`; anything else (another bucket or prefix, another key,
 * another backend's scheme, a path that climbs out, garbage) is refused, never read.
 * @throws {@link StateReferenceError}
 */
export function checkReference(
  stored: unknown,
  store: ObjectStoreIdentity,
  options: ObjectStorageOptions,
  target: { scope: StateScope; key: string },
): string {
  const { scope, key } = target;
  assertOwnReference(stored, referenceFor(store, options, scope, key), {
    backend: store.backend,
    key,
    advice: `It names another bucket, prefix or key: was [${store.configSection}] bucket or prefix changed since it was written? Point the backend at the original location, or set the key again.`,
  });
  return objectName(options, scope, key);
}
