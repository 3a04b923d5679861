import {
  contentTypeFor,
  ENCODING_METADATA_KEY,
  encodeSmall,
  encodeStream,
  type ObjectCompression,
  storedEncoding,
} from "./codec.js";
import type { ObjectWrite } from "./types.js";

/**
 * The object to write for `value`: its bytes in one `Buffer` below `streamThreshold` UTF-8 bytes,
 * else a stream of them, with the encoding in the object's custom metadata so that reads need no
 * configuration.
 */
export async function encodeObject(
  value: string,
  compression: ObjectCompression,
  streamThreshold: number,
): Promise<ObjectWrite> {
  const encoding = storedEncoding(compression);
  const small = Buffer.byteLength(value, "utf8") < streamThreshold;
  return {
    body: small ? await encodeSmall(value, encoding) : encodeStream(value, encoding),
    contentType: contentTypeFor(encoding),
    metadata: { [ENCODING_METADATA_KEY]: encoding },
  };
}
