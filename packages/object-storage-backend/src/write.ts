import { StateValidationError } from "@flowstate/shared-state";
import {
  contentTypeFor,
  ENCODING_METADATA_KEY,
  EXPIRES_AT_METADATA_KEY,
  encodeSmall,
  type ObjectCompression,
  storedEncoding,
} from "./codec.js";
import { valueParts, valueStream } from "./parts.js";
import type { ObjectWrite } from "./types.js";

/**
 * The object to write for `value`: its bytes in one `Buffer` below `streamThreshold` UTF-8 bytes,
 * else a stream of them (and the same bytes part by part, {@link ObjectWrite.parts}), with the encoding (and the expiry, when there is one) in the object's
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
  const described = { contentType: contentTypeFor(encoding), metadata, expiresAt };
  if (small) return { body: await encodeSmall(value, encoding), ...described };
  // Both forms are lazy: only the one the writer reads is ever encoded.
  return { body: valueStream(valueParts(value, encoding)), parts: valueParts(value, encoding), ...described };
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
