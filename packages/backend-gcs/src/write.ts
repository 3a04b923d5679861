import { pipeline } from "node:stream/promises";
import type { ObjectWrite } from "@flowstate/object-storage-backend";
import type { GcsTarget } from "./target.js";

/**
 * Writes `object` to `name`: one simple upload for a `Buffer` (a value below the resumable
 * threshold), else a resumable upload streamed from the value's (compressed) UTF-8 bytes.
 */
export async function saveObject({ bucket }: GcsTarget, name: string, object: ObjectWrite): Promise<void> {
  const metadata = { contentType: object.contentType, metadata: object.metadata };
  const file = bucket.file(name);
  if (Buffer.isBuffer(object.body)) {
    await file.save(object.body, { resumable: false, metadata });
    return;
  }
  // One streamed request: the client keeps no copy of the value, and (unlike chunked uploads)
  // every GCS-API server, the firebase emulator included, stores it whole.
  await pipeline(object.body, file.createWriteStream({ resumable: true, metadata }));
}
