/**
 * Versioned object names. Every write of a value through a backend's serialize hook stores a new
 * object under the key's own prefix, `<statePath(scope, key)>/<version>`, and returns a reference
 * to that version. The metadata row then switches to the new reference in one statement, and the
 * replaced version is deleted after the commit. A failed write therefore never changes what the
 * row names (atomic set), and a concurrent delete or clear removes exactly the versions the rows
 * it removed named, never a version another writer is about to reference (no reference to
 * nothing). See the README's operator guide, "What flowstate promises".
 */
import { randomBytes } from "node:crypto";
import { statePath } from "./paths.js";
import type { StateScope } from "./scopes.js";

/** A version id: 9 base-36 digits of a millisecond clock, `-`, 16 hex digits of randomness. */
const VERSION = /^[0-9a-z]{9}-[0-9a-f]{16}$/;
const CLOCK_DIGITS = 9;
let lastMs = 0;

/**
 * A new version id, unique and (within this process) increasing: ids compare as strings in the
 * order they were made, across processes in the order of their clocks (to the millisecond).
 * @param nowMs the clock, for tests. @default Date.now()
 */
export function newStateVersion(nowMs: number = Date.now()): string {
  // A logical clock: two versions made in the same millisecond still sort in order.
  lastMs = Math.max(nowMs, lastMs + 1);
  return `${lastMs.toString(36).padStart(CLOCK_DIGITS, "0")}-${randomHex8()}`;
}

// Random bytes drawn from the CSPRNG a page at a time (as crypto.randomUUID does): one
// randomBytes call per version cost more than the rest of an in-memory set.
const POOL_BYTES = 8 * 256;
let pool = Buffer.alloc(0);
let poolOffset = POOL_BYTES;

/** 8 fresh random bytes (never handed out twice) as 16 hex digits. */
function randomHex8(): string {
  if (poolOffset + 8 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const hex = pool.toString("hex", poolOffset, poolOffset + 8);
  poolOffset += 8;
  return hex;
}

/** Whether `segment` is a version id made by {@link newStateVersion}. */
export function isStateVersion(segment: unknown): segment is string {
  return typeof segment === "string" && VERSION.test(segment);
}

/** The prefix (ending in `/`) under which every version of `key` in `scope` lies. Validates the key. */
export function stateKeyPrefix(scope: StateScope, key: string): string {
  return `${statePath(scope, key)}/`;
}

/** The storage path of one version of `key` in `scope`: `<statePath(scope, key)>/<version>`. */
export function versionedStatePath(scope: StateScope, key: string, version: string): string {
  return `${stateKeyPrefix(scope, key)}${version}`;
}

// An encoded segment: what encodePathSegment writes (A-Z a-z 0-9 _ - %, and ~ of a shortened one).
const SEGMENT = "[A-Za-z0-9_%~-]+";
const VERSIONED_PATH = new RegExp(
  `^(?:task/${SEGMENT}/${SEGMENT}/${SEGMENT}/-?[0-9]+|asset/(?:name|uri)/${SEGMENT}|asset/id/[0-9]+)/${SEGMENT}/([0-9a-z]{9}-[0-9a-f]{16})$`,
);

/**
 * The version of a storage path written by {@link versionedStatePath}, or `undefined` when the
 * path is anything else (another layout, a path that climbs out, an object some other program
 * wrote). The orphan sweep and `deleteStateRefs` only ever touch paths this accepts.
 */
export function versionOfStatePath(path: string): string | undefined {
  return VERSIONED_PATH.exec(path)?.[1];
}
