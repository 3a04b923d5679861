/**
 * The one place where scopes and keys become storage paths. Every backend builds its object
 * names from {@link statePath} and {@link scopePrefix}, so no backend can get prefixes wrong on
 * its own and no key or id can escape its scope's prefix.
 *
 * A path looks like `task/<dagId>/<runId>/<taskId>/<mapIndex>/<key>` or
 * `asset/name/<name>/<key>` (also `asset/uri/…`, `asset/id/…`), with every segment encoded by
 * {@link encodePathSegment}.
 */
import { createHash } from "node:crypto";
import { ConfigError } from "./errors.js";
import { isConstructedScope, type StateScope } from "./scopes.js";
import { validateStateKey } from "./validation.js";

/** Encoded segments longer than this are shortened to a prefix plus a SHA-256 digest. */
export const MAX_ENCODED_SEGMENT_LENGTH = 128;
const KEPT_PREFIX_LENGTH = 60;

/**
 * Encodes one path segment so that it contains only `A-Z a-z 0-9 _ - %`: `/`, `.`, `..`, `%2F`
 * and every non-ASCII character are percent-encoded (UTF-8), so distinct strings always give
 * distinct segments and no segment can be `.` or `..` or contain a separator. Long segments
 * become `<first 60 encoded chars>~<sha256 hex>`; `~` never appears otherwise, so a shortened
 * segment cannot equal an ordinary one.
 */
export function encodePathSegment(segment: string): string {
  const encoded = encodeURIComponent(segment).replace(
    /[.!~*'()]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  if (encoded.length <= MAX_ENCODED_SEGMENT_LENGTH) return encoded;
  let kept = encoded.slice(0, KEPT_PREFIX_LENGTH);
  const cut = kept.lastIndexOf("%");
  if (cut > KEPT_PREFIX_LENGTH - 3) kept = kept.slice(0, cut); // never split a %XX escape
  return `${kept}~${createHash("sha256").update(segment, "utf8").digest("hex")}`;
}

/** The encoded segments naming a scope, without the key. */
export function scopeSegments(scope: StateScope): string[] {
  if (scope.kind === "task") {
    return ["task", scope.dagId, scope.runId, scope.taskId, String(scope.mapIndex)].map((s, i) =>
      i === 0 ? s : encodePathSegment(s),
    );
  }
  if (scope.name !== undefined) return ["asset", "name", encodePathSegment(scope.name)];
  if (scope.uri !== undefined) return ["asset", "uri", encodePathSegment(scope.uri)];
  return ["asset", "id", String(scope.assetId)];
}

/** Options of `clear`. */
export interface ClearOptions {
  /** For a task scope: clear every map index of that task, not only the scope's own. */
  allMapIndices?: boolean | undefined;
}

/**
 * The prefix (ending in `/`) under which every path of `scope` lies. With `allMapIndices`, a task
 * scope's prefix covers every map index of the task and nothing of a sibling task.
 */
export function scopePrefix(scope: StateScope, options: ClearOptions = {}): string {
  if (!options.allMapIndices && isConstructedScope(scope)) {
    // A constructed scope is immutable: encode it once.
    let prefix = PREFIXES.get(scope);
    if (prefix === undefined) {
      prefix = `${scopeSegments(scope).join("/")}/`;
      PREFIXES.set(scope, prefix);
    }
    return prefix;
  }
  const segments = scopeSegments(scope);
  if (scope.kind === "task" && options.allMapIndices) segments.pop();
  return `${segments.join("/")}/`;
}

/** The storage path of `key` in `scope`. Validates the key. */
export function statePath(scope: StateScope, key: string): string {
  if (!isConstructedScope(scope)) return `${scopePrefix(scope)}${encodedKey(key)}`;
  // The same string each time for a constructed scope's key: a backend's map lookups by path
  // then hash it once, not on every call.
  let paths = PATHS.get(scope);
  if (paths === undefined) {
    paths = new Map();
    PATHS.set(scope, paths);
  }
  let path = typeof key === "string" ? paths.get(key) : undefined;
  if (path === undefined) {
    path = `${scopePrefix(scope)}${encodedKey(key)}`;
    if (paths.size >= MAX_ENCODED_KEYS) paths.clear();
    paths.set(key, path);
  }
  return path;
}

// The prefixes of constructed scopes, and recently encoded (so valid) keys: a task sets and gets
// the same few keys over and over. Both are pure functions of immutable inputs; the key cache is
// bounded and simply starts over when full.
const PREFIXES = new WeakMap<StateScope, string>();
const PATHS = new WeakMap<StateScope, Map<string, string>>();
const ENCODED_KEYS = new Map<string, string>();
const MAX_ENCODED_KEYS = 1024;

function encodedKey(key: string): string {
  let encoded = typeof key === "string" ? ENCODED_KEYS.get(key) : undefined;
  if (encoded === undefined) {
    validateStateKey(key);
    encoded = encodePathSegment(key);
    if (ENCODED_KEYS.size >= MAX_ENCODED_KEYS) ENCODED_KEYS.clear();
    ENCODED_KEYS.set(key, encoded);
  }
  return encoded;
}

/**
 * Normalises an operator-supplied storage prefix (`"flowstate/prod/"` → `"flowstate/prod"`).
 * Returns `""` for no prefix. Rejects `.`/`..`/empty segments so that a prefix cannot escape.
 * @param option names the option in the error, e.g. `"[s3_state_backend] prefix"`.
 * @throws {@link ConfigError}
 */
export function normalizeStoragePrefix(prefix: string | undefined, option = "prefix"): string {
  if (prefix === undefined) return "";
  if (typeof prefix !== "string") {
    throw new ConfigError(`Invalid ${option}: expected a string, got ${typeof prefix}.`);
  }
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "";
  for (const segment of trimmed.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new ConfigError(
        `Invalid ${option} ${JSON.stringify(prefix)}: segments must not be empty, "." or "..". Use e.g. "flowstate/prod".`,
      );
    }
  }
  return trimmed;
}

/** Joins a normalised prefix and a path with `/`, leaving out an empty prefix. */
export function joinStoragePath(prefix: string, path: string): string {
  return prefix === "" ? path : `${prefix}/${path}`;
}
