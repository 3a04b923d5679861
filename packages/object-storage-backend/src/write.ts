import { StateValidationError } from "@flowstate/shared-state";
import {
  contentTypeFor,
  ENCODING_METADATA_KEY,
  EXPIRES_AT_METADATA_KEY,
  encodeSmall,
  encodeStream,
  type ObjectCompression,
  storedEncoding,
} from "./codec.js";
import type { ObjectWrite } from "./types.js";

/**
 * The object to write for `value`: its bytes in one `Buffer` below `streamThreshold` UTF-8 bytes,
 * else a stream of them, with the encoding (and the expiry, when there is one) in the object's
 * custom metadata so that reads need no configuration.
 */
export async function encodeObject(
  value: string,
  compression: ObjectCompression,
  streamThreshold: number,
  expiresAt: Date | undefined,
): Promise<ObjectWrite> {
  const encoding = storedEncoding(compression);
  const small = Buffer.byteLength(value, "utf8") < streamThreshold;
  const metadata: Record<string, string> = { [ENCODING_METADATA_KEY]: encoding };
  if (expiresAt !== undefined) metadata[EXPIRES_AT_METADATA_KEY] = expiresAt.toISOString();
  return {
    body: small ? await encodeSmall(value, encoding) : encodeStream(value, encoding),
    contentType: contentTypeFor(encoding),
    metadata,
    expiresAt,
  };
}

/**
 * `expiresAt` of a serialize call as a valid `Date`, or `undefined` for none (`null`, `undefined`).
 * @throws {@link StateValidationError} for anything else, before anything is written.
 */
export function checkedExpiry(expiresAt: unknown): Date | undefined {
  if (expiresAt === null || expiresAt === undefined) return undefined;
  if (expiresAt instanceof Date && !Number.isNaN(expiresAt.getTime())) return expiresAt;
  throw new StateValidationError(
    `Invalid expiresAt ${expiresAt instanceof Date ? "(an invalid Date)" : `(${typeof expiresAt})`}: expected a Date, or null for a value that never expires.`,
  );
}
