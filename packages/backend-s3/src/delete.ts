import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  type ObjectIdentifier,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { StateBackendError } from "@flowstate/shared-state";
import { BACKEND, s3Url } from "./errors.js";
import type { S3Target } from "./target.js";

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

/** Removes `key`; S3 answers success for a key that does not exist. */
export async function deleteKey({ client, options }: S3Target, key: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: key }));
}

/**
 * Deletes every object under `prefix`: a page of ListObjectsV2 (1000 keys) at a time, each page
 * one DeleteObjects request whose per-key errors are checked.
 */
export async function deletePrefix(target: S3Target, prefix: string): Promise<void> {
  const { client, options } = target;
  const pages = paginateListObjectsV2(
    { client, pageSize: DELETE_BATCH },
    { Bucket: options.bucket, Prefix: prefix },
  );
  for await (const page of pages) {
    const keys = (page.Contents ?? []).flatMap((o): ObjectIdentifier[] => (o.Key ? [{ Key: o.Key }] : []));
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      await deleteBatch(target, keys.slice(start, start + DELETE_BATCH), prefix);
    }
  }
}

async function deleteBatch(
  { client, options, operation }: S3Target,
  keys: ObjectIdentifier[],
  prefix: string,
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
  throw new StateBackendError(
    `${errors.length} of ${keys.length} objects could not be deleted, e.g. ${shown}: check that the credentials may delete objects under ${s3Url(options.bucket, prefix)} and run the clear again.`,
    { backend: BACKEND, operation, location: s3Url(options.bucket, prefix) },
  );
}
