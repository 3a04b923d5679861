import { StateReferenceError } from "./errors.js";
import { isStateVersion } from "./versions.js";

const SLASH = "/".charCodeAt(0);

/** Who is checking a stored reference, for the error message. */
export interface OwnReferenceCheck {
  /** Short backend name, e.g. `"s3"`. */
  backend: string;
  /** The state key the reference was read for. */
  key: string;
  /** What the operator should do, e.g. "Point the backend at the original bucket, or set the key again." */
  advice: string;
}

/**
 * The version a stored reference names when it is `<keyReference>/<version>`, i.e. one of the
 * versions this backend writes for that scope and key; else `undefined`.
 * @param keyReference the backend's reference for the key without a version, e.g.
 *   `s3://bucket/prefix/task/dag/run/task/-1/job_id`.
 */
export function ownReferenceVersion(stored: unknown, keyReference: string): string | undefined {
  // `<keyReference>/` checked without building that string: this runs on every read.
  if (typeof stored !== "string" || stored.charCodeAt(keyReference.length) !== SLASH) return undefined;
  if (!stored.startsWith(keyReference)) return undefined;
  const version = stored.slice(keyReference.length + 1);
  return isStateVersion(version) ? version : undefined;
}

/**
 * Refuses a stored reference that is not one of the versions this backend writes for that scope
 * and key (`<keyReference>/<version>`): another bucket, prefix, namespace or key, another
 * backend's scheme, a path that climbs out, or garbage. A backend calls it first in
 * `deserialize…FromRef`, so it never reads an object some other reference names.
 * @returns the version the reference names.
 * @throws {@link StateReferenceError} whose `location` is `keyReference`.
 */
export function assertOwnReference(stored: unknown, keyReference: string, check: OwnReferenceCheck): string {
  const version = ownReferenceVersion(stored, keyReference);
  if (version !== undefined) return version;
  throw new StateReferenceError(
    `the stored reference ${previewReference(stored)} is not one this backend writes for key '${check.key}' (expected ${keyReference}/<version>). ${check.advice}`,
    { backend: check.backend, operation: "deserialize", location: keyReference },
  );
}

/** A stored string as messages show it: quoted, cut at 200 characters; or its type when not a string. */
export function previewReference(stored: unknown): string {
  if (typeof stored !== "string") return `(${stored === null ? "null" : typeof stored})`;
  return JSON.stringify(stored.length > 200 ? `${stored.slice(0, 200)}…` : stored);
}
