import { pipeline } from "node:stream/promises";
import {
  ENCODING_METADATA_KEY,
  encodeSmall,
  encodeStream,
  type StoredEncoding,
  storedEncoding,
} from "./codec.js";
import type { GcsTarget } from "./target.js";

const CONTENT_TYPES: Record<StoredEncoding, string> = {
  identity: "text/plain; charset=utf-8",
  gzip: "application/gzip",
  br: "application/octet-stream",
};

/**
 * Writes `value` to `name`: one simple upload below the resumable threshold, else a resumable
 * upload streamed from the value's (compressed) UTF-8 bytes. The encoding goes into the object's
 * custom metadata, so reads need no configuration.
 */
export async function putText({ bucket, options }: GcsTarget, name: string, value: string): Promise<void> {
  const encoding = storedEncoding(options.compression);
  const metadata = { contentType: CONTENT_TYPES[encoding], metadata: { [ENCODING_METADATA_KEY]: encoding } };
  const file = bucket.file(name);
  if (Buffer.byteLength(value, "utf8") < options.resumableThreshold) {
    await file.save(await encodeSmall(value, encoding), { resumable: false, metadata });
    return;
  }
  // One streamed request: the client keeps no copy of the value, and (unlike chunked uploads)
  // every GCS-API server, the firebase emulator included, stores it whole.
  await pipeline(encodeStream(value, encoding), file.createWriteStream({ resumable: true, metadata }));
}
