/**
 * The process-wide storage: one map of paths to values per namespace. It lives for the life of
 * the process, so two backends of one namespace see each other's writes, like two clients of one
 * bucket.
 */
const namespaces = new Map<string, Map<string, string>>();

/** The shared map of `namespace`, created on first use. */
export function namespaceStorage(namespace: string): Map<string, string> {
  let storage = namespaces.get(namespace);
  if (!storage) {
    storage = new Map();
    namespaces.set(namespace, storage);
  }
  return storage;
}
