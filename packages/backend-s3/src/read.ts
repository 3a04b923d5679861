import type { Readable } from "node:stream";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { StoredObject } from "@flowstate/object-storage-backend";
import type { S3Target } from "./target.js";

/** The object at `key` (its user metadata and body), or `undefined` when there is no such object. */
export async function getObject(
  { client, options }: S3Target,
  key: string,
): Promise<StoredObject | undefined> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
    return { metadata: response.Metadata, body: response.Body as Readable };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Only S3's own "no such key" answer means "not set". Any other 404 (a wrong endpoint path, a
 * proxy's error page) is a failure to report, not a silently empty state.
 */
function isNotFound(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "NoSuchKey";
}
