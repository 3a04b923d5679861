import type { StoredObject } from "@flowstate/object-storage-backend";
import type { File, FileMetadata } from "@google-cloud/storage";
import { isObjectMissing } from "./errors.js";
import { failWhenIdle } from "./idle.js";
import type { GcsTarget } from "./target.js";

/**
 * The object at `name`, or `undefined` when there is no such object. Its bytes are read from the
 * generation whose metadata was read, so the bytes always belong to that metadata: a generation
 * deleted since fails with "no such object", and the base class reads again.
 */
export async function openGeneration(
  { bucket, options }: GcsTarget,
  name: string,
): Promise<StoredObject | undefined> {
  const metadata = await readMetadata(bucket.file(name));
  if (metadata === undefined) return undefined;
  const pinned = bucket.file(name, { generation: metadata.generation ?? undefined });
  // The stream sends its request only when it is first read.
  const body = failWhenIdle(pinned.createReadStream(), options.requestTimeoutMs);
  return { metadata: metadata.metadata ?? undefined, body };
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
