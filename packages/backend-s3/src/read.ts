import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type GetObjectCommandOutput } from "@aws-sdk/client-s3";
import { StateBackendError } from "@flowstate/shared-state";
import { decoderFor, ENCODING_METADATA_KEY, isStoredEncoding, type StoredEncoding } from "./codec.js";
import { BACKEND, s3Url } from "./errors.js";
import type { S3Target } from "./target.js";

/** The text stored at `key`, or `undefined` when there is no such object. */
export async function getText(target: S3Target, key: string): Promise<string | undefined> {
  const { client, options } = target;
  let response: GetObjectCommandOutput;
  try {
    response = await client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const body = response.Body as Readable;
  let encoding: StoredEncoding;
  try {
    encoding = readEncoding(response.Metadata, target, key);
  } catch (error) {
    body.destroy(); // nobody will read it: give the socket back
    throw error;
  }
  try {
    return await decodeText(body, encoding);
  } catch (error) {
    if (!isUndecodable(error)) throw error;
    throw new StateBackendError(
      `the object is not ${encoding === "identity" ? "valid UTF-8" : `valid ${encoding} data`}: it was not written by flowstate or was changed since. Set the key again to replace it.`,
      { backend: BACKEND, operation: target.operation, location: s3Url(options.bucket, key), cause: error },
    );
  }
}

/**
 * Only S3's own "no such key" answer means "not set". Any other 404 (a wrong endpoint path, a
 * proxy's error page) is a failure to report, not a silently empty state.
 */
function isNotFound(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "NoSuchKey";
}

function readEncoding(
  metadata: Record<string, string> | undefined,
  target: S3Target,
  key: string,
): StoredEncoding {
  // Objects written by something else than this backend have no marker: read them as UTF-8.
  const value = metadata?.[ENCODING_METADATA_KEY] ?? "identity";
  if (isStoredEncoding(value)) return value;
  throw new StateBackendError(
    `the object is stored with encoding '${value.slice(0, 40)}', which this version of @flowstate/backend-s3 cannot read: upgrade it on this worker.`,
    { backend: BACKEND, operation: target.operation, location: s3Url(target.options.bucket, key) },
  );
}

/** Whether a read failed on the bytes themselves (bad UTF-8, bad gzip/brotli data) rather than the network. */
function isUndecodable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  // TextDecoder's fatal error, zlib's corrupt or truncated data, brotli's format errors.
  return (
    code === "ERR_ENCODING_INVALID_ENCODED_DATA" ||
    code === "Z_DATA_ERROR" ||
    code === "Z_BUF_ERROR" ||
    code.startsWith("ERR__ERROR_FORMAT")
  );
}

/** Reads a body to a string, undoing compression, without stripping a leading BOM. */
async function decodeText(body: Readable, encoding: StoredEncoding): Promise<string> {
  // fatal: bytes that are not UTF-8 fail the read instead of turning silently into U+FFFD.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
  const pieces: string[] = [];
  const collect = async (source: AsyncIterable<Uint8Array>): Promise<void> => {
    for await (const chunk of source) pieces.push(decoder.decode(chunk, { stream: true }));
    pieces.push(decoder.decode());
  };
  const decompressor = decoderFor(encoding);
  if (decompressor) await pipeline(body, decompressor, collect);
  else await pipeline(body, collect);
  return pieces.join("");
}
