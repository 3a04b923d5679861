import {
  type DeleteFailureContext,
  type FailedDelete,
  type ListedObject,
  partialDeleteError,
} from "@flowstate/object-storage-backend";
import { explainGcsError, gcsCause, isObjectMissing, statusOf } from "./errors.js";
import { GCS_STORE } from "./identity.js";
import { forEachLimited } from "./limit.js";
import type { GcsTarget } from "./target.js";

/** Objects deleted at once. */
const DELETE_CONCURRENCY = 16;

/**
 * The objects under `prefix` with when they were created, a page of the listing (GCS sends up to
 * 1000 per page) at a time.
 */
export async function* listObjects({ bucket }: GcsTarget, prefix: string): AsyncGenerator<ListedObject[]> {
  let pageToken: string | undefined;
  do {
    const [files, next] = await bucket.getFiles({ prefix, autoPaginate: false, pageToken });
    yield files.map((file) => ({ name: file.name, writtenAt: writtenAt(file.metadata) }));
    pageToken = (next as { pageToken?: string } | null)?.pageToken;
  } while (pageToken);
}

/**
 * Deletes `names`, {@link DELETE_CONCURRENCY} at once; names already gone are fine (but not a
 * missing bucket). Every object is tried before the failures are reported.
 */
export async function deleteNames(
  target: GcsTarget,
  names: readonly string[],
  context: DeleteFailureContext,
): Promise<void> {
  const failures: Array<FailedDelete & { error: unknown }> = [];
  await forEachLimited(names, DELETE_CONCURRENCY, async (name) => {
    try {
      await target.bucket.file(name).delete();
    } catch (error) {
      const status = statusOf(error);
      const reason = status === undefined ? "no answer" : `HTTP ${status}`;
      if (!isObjectMissing(error)) failures.push({ name, reason, error });
    }
  });
  const first = failures[0];
  if (first === undefined) return;
  const advice = explainGcsError(first.error, target.options);
  throw partialDeleteError(
    GCS_STORE,
    { failures, total: names.length, advice, cause: gcsCause(first.error) },
    context,
  );
}

// An object listed without a time counts as written now: the orphan sweep's grace period starts over.
function writtenAt(metadata: { timeCreated?: string | undefined; updated?: string | undefined }): Date {
  const time = new Date(metadata.timeCreated ?? metadata.updated ?? Number.NaN);
  return Number.isNaN(time.getTime()) ? new Date() : time;
}
