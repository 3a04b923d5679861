import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StateBackendError, type StateBackendOperation, sanitizedCause } from "@flowstate/shared-state";
import { decoderFor, ENCODING_METADATA_KEY, isStoredEncoding, type StoredEncoding } from "./codec.js";
import { Utf8Text } from "./text.js";
import type { ObjectStoreIdentity, StoredObject } from "./types.js";

/** Reads retried when the object is replaced between reading its metadata and its bytes. */
const READ_ATTEMPTS = 3;

/** What {@link readText} needs from the backend: how to open an object, and where it is, for messages. */
export interface TextRead {
  store: ObjectStoreIdentity;
  operation: StateBackendOperation;
  /** The object's `<scheme>://<bucket>/<name>`. */
  location: string;
  open(): Promise<StoredObject | undefined>;
  /** Whether a failed read of the bytes means the object was replaced since its metadata was read. */
  isReplaced(error: unknown): boolean;
}

/**
 * The text of an object, or `undefined` when there is no such object. Decoding is strict: an
 * unknown encoding marker, bytes that are not UTF-8, or corrupt gzip/brotli data are an error,
 * never a silently altered value.
 */
export async function readText(read: TextRead): Promise<string | undefined> {
  for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt += 1) {
    const object = await read.open();
    if (object === undefined) return undefined;
    const encoding = encodingOf(object, read);
    try {
      return await decodeText(object.body, encoding);
    } catch (error) {
      if (read.isReplaced(error)) continue; // replaced or deleted since: look again
      if (!isUndecodable(error)) throw error;
      throw new StateBackendError(
        `the object is not ${encoding === "identity" ? "valid UTF-8" : `valid ${encoding} data`}: it was not written by flowstate or was changed since. Set the key again to replace it.`,
        { ...details(read), cause: sanitizedCause(error) },
      );
    }
  }
  throw new StateBackendError(
    `the object was replaced ${READ_ATTEMPTS} times while it was being read: other workers keep writing this key; retry.`,
    details(read),
  );
}

function encodingOf(object: StoredObject, read: TextRead): StoredEncoding {
  // Objects written by something else than this backend have no marker: read them as UTF-8.
  const value = object.metadata?.[ENCODING_METADATA_KEY] ?? "identity";
  if (isStoredEncoding(value)) return value;
  object.body.destroy(); // nobody will read it: give the socket back
  throw new StateBackendError(
    `the object is stored with encoding '${String(value).slice(0, 40)}', which this version of ${read.store.packageName} cannot read: upgrade it on this worker.`,
    details(read),
  );
}

function details(read: TextRead): { backend: string; operation: StateBackendOperation; location: string } {
  return { backend: read.store.backend, operation: read.operation, location: read.location };
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
  const text = new Utf8Text();
  const decompressor = decoderFor(encoding);
  if (decompressor) {
    await pipeline(body, decompressor, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) text.write(chunk);
    });
  } else {
    // One stream: its own iterator ends, fails and destroys it as a pipeline would, without the
    // pipeline's set-up (a sizeable share of a 1 KiB read).
    for await (const chunk of body as AsyncIterable<Buffer>) text.write(chunk);
  }
  return text.end();
}
