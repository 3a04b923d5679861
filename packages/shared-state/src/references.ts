import { StateReferenceError } from "./errors.js";

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
 * Refuses a stored reference that is not exactly `expected`, the one this backend writes for that
 * scope and key: another bucket, prefix, namespace or key, another backend's scheme, a path that
 * climbs out, or garbage. A backend calls it first in `deserialize…FromRef`, so it never reads an
 * object some other reference names.
 * @throws {@link StateReferenceError} whose `location` is the expected reference.
 */
export function assertOwnReference(
  stored: unknown,
  expected: string,
  check: OwnReferenceCheck,
): asserts stored is string {
  if (stored === expected) return;
  throw new StateReferenceError(
    `the stored reference ${previewReference(stored)} is not the one this backend writes for key '${check.key}' (expected ${expected}). ${check.advice}`,
    { backend: check.backend, operation: "deserialize", location: expected },
  );
}

/** A stored string as messages show it: quoted, cut at 200 characters; or its type when not a string. */
export function previewReference(stored: unknown): string {
  if (typeof stored !== "string") return `(${stored === null ? "null" : typeof stored})`;
  return JSON.stringify(stored.length > 200 ? `${stored.slice(0, 200)}…` : stored);
}
