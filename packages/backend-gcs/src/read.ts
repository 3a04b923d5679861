import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StateBackendError } from "@flowstate/shared-state";
import type { File, FileMetadata } from "@google-cloud/storage";
import { decoderFor, ENCODING_METADATA_KEY, isStoredEncoding, type StoredEncoding } from "./codec.js";
import { BACKEND, gsUrl, isObjectMissing } from "./errors.js";
import type { GcsTarget } from "./target.js";

/** Reads retried when the object is replaced between reading its metadata and its bytes. */
const READ_ATTEMPTS = 3;

/**
 * The text stored at `name`, or `undefined` when there is no such object. The bytes are read
 * from the generation whose metadata was read, so a concurrent overwrite cannot pair one
 * object's encoding with another's bytes.
 */
export async function getText(target: GcsTarget, name: string): Promise<string | undefined> {
  const { bucket, options, operation } = target;
  for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt += 1) {
    const metadata = await readMetadata(bucket.file(name));
    if (metadata === undefined) return undefined;
    const encoding = readEncoding(metadata, target, name);
    const pinned = bucket.file(name, { generation: metadata.generation ?? undefined });
    try {
      return await decodeText(pinned.createReadStream(), encoding);
    } catch (error) {
      if (isObjectMissing(error)) continue; // replaced or deleted since: look again
      if (!isUndecodable(error)) throw error;
      throw new StateBackendError(
        `the object is not ${encoding === "identity" ? "valid UTF-8" : `valid ${encoding} data`}: it was not written by flowstate or was changed since. Set the key again to replace it.`,
        { backend: BACKEND, operation, location: gsUrl(options.bucket, name), cause: error },
      );
    }
  }
  throw new StateBackendError(
    `the object was replaced ${READ_ATTEMPTS} times while it was being read: other workers keep writing this key; retry.`,
    { backend: BACKEND, operation, location: gsUrl(options.bucket, name) },
  );
}

async function readMetadata(file: File): Promise<FileMetadata | undefined> {
  try {
    const [metadata] = await file.getMetadata();
    return metadata;
  } catch (error) {
    if (isObjectMissing(error)) return undefined;
    throw error;
  }
}

function readEncoding(metadata: FileMetadata, target: GcsTarget, name: string): StoredEncoding {
  // Objects written by something else than this backend have no marker: read them as UTF-8.
  const value = metadata.metadata?.[ENCODING_METADATA_KEY] ?? "identity";
  if (isStoredEncoding(value)) return value;
  throw new StateBackendError(
    `the object is stored with encoding '${String(value).slice(0, 40)}', which this version of @flowstate/backend-gcs cannot read: upgrade it on this worker.`,
    { backend: BACKEND, operation: target.operation, location: gsUrl(target.options.bucket, name) },
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
