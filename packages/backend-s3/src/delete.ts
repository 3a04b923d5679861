import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  type ObjectIdentifier,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { objectUrl } from "@flowstate/object-storage-backend";
import { StateBackendError, type StateBackendOperation } from "@flowstate/shared-state";
import { S3_STORE } from "./identity.js";
import type { S3Target } from "./target.js";

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

/** Removes `key`; S3 answers success for a key that does not exist. */
export async function deleteKey({ client, options }: S3Target, key: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: key }));
}

/** The keys under `prefix`, a page of ListObjectsV2 (1000 keys) at a time. */
export async function* listKeys({ client, options }: S3Target, prefix: string): AsyncGenerator<string[]> {
  const pages = paginateListObjectsV2(
    { client, pageSize: DELETE_BATCH },
    { Bucket: options.bucket, Prefix: prefix },
  );
  for await (const page of pages) {
    yield (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
  }
}

/** Deletes `keys` with one DeleteObjects request per 1000, checking its per-key errors. */
export async function deleteKeys(
  target: S3Target,
  keys: string[],
  failure: { prefix: string; operation: StateBackendOperation },
): Promise<void> {
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    const batch = keys.slice(start, start + DELETE_BATCH).map((Key): ObjectIdentifier => ({ Key }));
    await deleteBatch(target, batch, failure);
  }
}

async function deleteBatch(
  { client, options }: S3Target,
  keys: ObjectIdentifier[],
  { prefix, operation }: { prefix: string; operation: StateBackendOperation },
): Promise<void> {
  const result = await client.send(
    new DeleteObjectsCommand({ Bucket: options.bucket, Delete: { Objects: keys, Quiet: true } }),
  );
  const errors = result.Errors ?? [];
  if (errors.length === 0) return;
  const shown = errors
    .slice(0, 3)
    .map((e) => `${e.Key} (${e.Code ?? "error"})`)
    .join(", ");
  const location = objectUrl(S3_STORE.scheme, options.bucket, prefix);
  throw new StateBackendError(
    `${errors.length} of ${keys.length} objects could not be deleted, e.g. ${shown}: check that the credentials may delete objects under ${location} and run the clear again.`,
    { backend: S3_STORE.backend, operation, location },
  );
}
