import type { StoredObject } from "@flowstate/object-storage-backend";
import type { File, FileMetadata } from "@google-cloud/storage";
import { isObjectMissing } from "./errors.js";
import type { GcsTarget } from "./target.js";

/**
 * The object at `name`, or `undefined` when there is no such object. Its bytes are read from the
 * generation whose metadata was read, so a concurrent overwrite cannot pair one object's encoding
 * with another's bytes: a read of a generation replaced since fails with "no such object", and
 * the base class reads again.
 */
export async function openGeneration({ bucket }: GcsTarget, name: string): Promise<StoredObject | undefined> {
  const metadata = await readMetadata(bucket.file(name));
  if (metadata === undefined) return undefined;
  const pinned = bucket.file(name, { generation: metadata.generation ?? undefined });
  // The stream sends its request only when it is first read.
  return { metadata: metadata.metadata ?? undefined, body: pinned.createReadStream() };
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
