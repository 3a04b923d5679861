import { DeleteObjectsCommand, type ObjectIdentifier, paginateListObjectsV2 } from "@aws-sdk/client-s3";
import {
  type DeleteFailureContext,
  type FailedDelete,
  type ListedObject,
  partialDeleteError,
} from "@flowstate/object-storage-backend";
import { S3_STORE } from "./identity.js";
import type { S3Target } from "./target.js";

/** DeleteObjects takes at most this many keys per request; ListObjectsV2 sends as many per page. */
const BATCH = 1000;

/** The objects under `prefix` with their `LastModified`, a page of ListObjectsV2 (1000 keys) at a time. */
export async function* listObjects(
  { client, options }: S3Target,
  prefix: string,
): AsyncGenerator<ListedObject[]> {
  const pages = paginateListObjectsV2(
    { client, pageSize: BATCH },
    { Bucket: options.bucket, Prefix: prefix },
  );
  for await (const page of pages) {
    // An object listed without a time counts as written now: the orphan sweep's grace period starts over.
    yield (page.Contents ?? []).flatMap((o) =>
      o.Key ? [{ name: o.Key, writtenAt: o.LastModified ?? new Date() }] : [],
    );
  }
}

/**
 * Deletes `keys` with one DeleteObjects request per 1000 (S3 answers success for keys that do not
 * exist), then reports the keys it refused, from every batch.
 */
export async function deleteKeys(
  { client, options }: S3Target,
  keys: readonly string[],
  context: DeleteFailureContext,
): Promise<void> {
  const failures: FailedDelete[] = [];
  for (let start = 0; start < keys.length; start += BATCH) {
    const batch = keys.slice(start, start + BATCH).map((Key): ObjectIdentifier => ({ Key }));
    const result = await client.send(
      new DeleteObjectsCommand({ Bucket: options.bucket, Delete: { Objects: batch, Quiet: true } }),
    );
    for (const e of result.Errors ?? []) failures.push({ name: e.Key ?? "?", reason: e.Code ?? "error" });
  }
  if (failures.length === 0) return;
  throw partialDeleteError(
    S3_STORE,
    {
      failures,
      total: keys.length,
      advice: `check that the credentials may delete objects under ${context.location}.`,
    },
    context,
  );
}
