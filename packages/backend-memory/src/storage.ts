/**
 * The process-wide storage: one map per namespace. It lives for the life of the process, so two
 * backends of one namespace see each other's writes, like two clients of one bucket.
 */

/** One version of a value, as the memory backend keeps it. */
export interface StoredVersion {
  value: string;
  writtenAt: Date;
}

/**
 * One namespace's storage: the key's path (`statePath(scope, key)`) → its versions (version id →
 * stored version). Together they name `versionedStatePath(scope, key, version)`; keeping the
 * versions of a key together lets `get`, `set` and `delete` find them without a scan.
 */
export type NamespaceStorage = Map<string, Map<string, StoredVersion>>;

const namespaces = new Map<string, NamespaceStorage>();

/** The shared storage of `namespace`, created on first use. */
export function namespaceStorage(namespace: string): NamespaceStorage {
  let storage = namespaces.get(namespace);
  if (!storage) {
    storage = new Map();
    namespaces.set(namespace, storage);
  }
  return storage;
}
