import { Readable, type Transform } from "node:stream";
import { promisify } from "node:util";
import {
  brotliCompress,
  constants,
  createBrotliCompress,
  createBrotliDecompress,
  createGunzip,
  createGzip,
  gzip,
} from "node:zlib";

/** How values are compressed at rest. Recorded on each object, so reads need no configuration. */
export type ObjectCompression = "none" | "gzip" | "brotli";

/** The custom metadata key (S3: `x-amz-meta-flowstate-encoding`) that records how an object is encoded. */
export const ENCODING_METADATA_KEY = "flowstate-encoding";

/**
 * The custom metadata key (S3: `x-amz-meta-flowstate-expires-at`) that records when a value
 * expires, as an ISO 8601 time; absent for a value that never expires. A bucket lifecycle rule or
 * an operator's script can act on it; the worker-side purge deletes the object either way.
 */
export const EXPIRES_AT_METADATA_KEY = "flowstate-expires-at";

/** What {@link ENCODING_METADATA_KEY} holds; `identity` is plain UTF-8. */
export type StoredEncoding = "identity" | "gzip" | "br";

const ENCODING_OF: Record<ObjectCompression, StoredEncoding> = {
  none: "identity",
  gzip: "gzip",
  brotli: "br",
};

const CONTENT_TYPES: Record<StoredEncoding, string> = {
  identity: "text/plain; charset=utf-8",
  gzip: "application/gzip",
  br: "application/octet-stream",
};

// Strings are turned into bytes a slice at a time, so a large value never exists twice in full.
const SLICE_CHARS = 1024 * 1024;
// Text compresses well at a middle level; brotli's default (11) is far too slow for large values.
const BROTLI_QUALITY = 5;

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** The metadata value for a compression option. */
export function storedEncoding(compression: ObjectCompression): StoredEncoding {
  return ENCODING_OF[compression];
}

/** The `Content-Type` of an object stored with `encoding`. */
export function contentTypeFor(encoding: StoredEncoding): string {
  return CONTENT_TYPES[encoding];
}

/** The (compressed) UTF-8 bytes of a small value, in one go (values below the stream threshold). */
export async function encodeSmall(value: string, encoding: StoredEncoding): Promise<Buffer> {
  if (encoding === "gzip") return gzipAsync(value);
  if (encoding === "br") return brotliAsync(value, brotliParams(value.length));
  return Buffer.from(value, "utf8");
}

/** A stream of the value's (compressed) UTF-8 bytes, for a multipart or resumable upload. */
export function encodeStream(value: string, encoding: StoredEncoding): Readable {
  const bytes = Readable.from(utf8Slices(value), { objectMode: false });
  if (encoding === "identity") return bytes;
  const compressor = encoding === "gzip" ? createGzip() : createBrotliCompress(brotliParams(value.length));
  bytes.on("error", (error) => compressor.destroy(error));
  return bytes.pipe(compressor);
}

/** A transform that undoes `encoding`, or `undefined` for plain UTF-8. */
export function decoderFor(encoding: StoredEncoding): Transform | undefined {
  if (encoding === "gzip") return createGunzip();
  if (encoding === "br") return createBrotliDecompress();
  return undefined;
}

/** Whether a metadata value is an encoding this version can read. */
export function isStoredEncoding(value: unknown): value is StoredEncoding {
  return value === "identity" || value === "gzip" || value === "br";
}

/** UTF-8 bytes of `value`, one slice at a time, never splitting a surrogate pair. */
function* utf8Slices(value: string): Generator<Buffer> {
  for (let start = 0; start < value.length; ) {
    let end = Math.min(start + SLICE_CHARS, value.length);
    const last = value.charCodeAt(end - 1);
    if (end < value.length && last >= 0xd800 && last <= 0xdbff) end -= 1; // keep the pair together
    yield Buffer.from(value.slice(start, end), "utf8");
    start = end;
  }
}

function brotliParams(sizeHint: number): { params: Record<number, number> } {
  return {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: sizeHint,
    },
  };
}
