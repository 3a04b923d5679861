import type { ListedStateRef, ListStateRefsOptions, StateBackend, StateScope } from "@flowstate/shared-state";

/**
 * Writes `value` through the ref hook that matches the scope's kind, as the sdk's accessors do,
 * and returns the reference the metadata store would record.
 */
export function writeRef(
  backend: StateBackend,
  scope: StateScope,
  key: string,
  value: string,
  tiId = "ti-try-1",
): Promise<string> {
  if (scope.kind === "task") return backend.serializeTaskStateToRef({ value, key, tiId, scope });
  return backend.serializeAssetStateToRef({ value, key, assetRef: scope.assetRef, scope });
}

/** Reads a stored reference back through the ref hook that matches the scope's kind. */
export function readRef(
  backend: StateBackend,
  stored: string,
  scope: StateScope,
  key: string,
): Promise<string> {
  if (scope.kind === "task") return backend.deserializeTaskStateFromRef(stored, { key, scope });
  return backend.deserializeAssetStateFromRef(stored, { key, scope });
}

/**
 * Every reference `backend.listStateRefs(options)` yields, all pages together. Useful in a
 * backend's own tests too, e.g. to check what a sweep would see.
 */
export async function listAllStateRefs(
  backend: StateBackend,
  options?: ListStateRefsOptions,
): Promise<ListedStateRef[]> {
  const listed: ListedStateRef[] = [];
  for await (const page of backend.listStateRefs(options)) listed.push(...page);
  return listed;
}

/** The last `/` segment of a reference. */
function lastSegment(ref: string): string {
  return ref.slice(ref.lastIndexOf("/") + 1);
}

/**
 * The reference of the key a versioned reference belongs to: the reference without its last
 * `/<version>` segment. Every version of one scope and key shares it.
 */
export function keyReferenceOf(ref: string): string {
  return ref.slice(0, ref.lastIndexOf("/"));
}

/** Strings that are no reference this backend could have written for any scope and key. */
export const FOREIGN_REFERENCES: readonly string[] = [
  "",
  " ",
  "garbage",
  "s3://other-bucket/x",
  "gs://other-bucket/x",
  "memory://other/x",
  "file:///etc/passwd",
  "../../x",
  "\u0000",
];

/**
 * `<ref's key>/../<other's key segment>/<other's version>`: a path from one key's reference to a
 * version of another key of the same scope, which a backend that normalises paths would serve.
 */
export function dotDotPath(ref: string, other: string): string {
  return `${keyReferenceOf(ref)}/../${lastSegment(keyReferenceOf(other))}/${lastSegment(other)}`;
}

/**
 * Strings built from a real versioned reference `ref` that name no version this backend wrote for
 * that scope and key: the key's reference without a version, malformed versions, another
 * bucket's or prefix's copy, dot segments and suffixes that a careless backend normalises back to
 * `ref` or to another object. Deserialize must refuse each; deleteStateRefs must ignore each.
 * @param other a version of another key of the same scope, for a `..` path from `ref` to it.
 */
export function badVariantsOf(ref: string, other?: string): Array<readonly [label: string, variant: string]> {
  const key = keyReferenceOf(ref);
  const version = lastSegment(ref);
  const keySegment = lastSegment(key);
  const variants: Array<readonly [string, string]> = [
    ["the key's reference without a version", key],
    ["the key's reference and a '/'", `${key}/`],
    ["a malformed version", `${key}/not-a-version`],
    ["an upper-cased version", `${key}/${version.toUpperCase()}`],
    ["a version with a character more", `${key}/${version}0`],
    ["a version with a character less", `${key}/${version.slice(1)}`],
    ["a version under the version", `${ref}/${version}`],
    ["'/..' appended", `${ref}/..`],
    ["'/../../x' appended", `${ref}/../../x`],
    ["'/' appended", `${ref}/`],
    ["' ' appended", `${ref} `],
    ["a query appended", `${ref}?x=1`],
    ["a fragment appended", `${ref}#x`],
    ["a '..' segment that normalises back to it", `${key}/../${keySegment}/${version}`],
    ["a '.' segment", `${key}/./${version}`],
    ["an empty segment", `${key}//${version}`],
    ["another bucket's copy", ref.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/]*/i, "$1other-bucket")],
    ["another prefix's copy", ref.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/]*\/)/i, "$1other-prefix/")],
  ];
  if (other !== undefined) {
    variants.push(["a '..' path to another key's version", dotDotPath(ref, other)]);
  }
  return variants.filter(([, variant]) => variant !== ref);
}

/** Calls `operation` and turns a synchronous throw into a rejection, as a backend's async method would. */
export function attempt<T>(operation: () => T | Promise<T>): Promise<T> {
  return Promise.resolve().then(operation);
}

/** A short label for a scope in test names and failure messages. */
export function describeScope(scope: StateScope): string {
  if (scope.kind === "task") {
    return `task ${JSON.stringify(scope.dagId)}/${JSON.stringify(scope.runId)}/${JSON.stringify(scope.taskId)}[${scope.mapIndex}]`;
  }
  return scope.name !== undefined
    ? `asset name ${JSON.stringify(scope.name)}`
    : `asset uri ${JSON.stringify(scope.uri)}`;
}
