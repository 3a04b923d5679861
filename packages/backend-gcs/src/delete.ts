import {
  connectionFailure,
  type DeleteFailureContext,
  type FailedDelete,
  type ListedObject,
  partialDeleteError,
} from "@flowstate/object-storage-backend";
import { type DeleteFailure, deleteInBatches } from "./batch-delete.js";
import { BatchAnswerError } from "./batch-wire.js";
import { explainGcsError, gcsCause, isObjectMissing, statusOf } from "./errors.js";
import { GCS_STORE } from "./identity.js";
import { forEachLimited } from "./limit.js";
import type { GcsTarget } from "./target.js";

/** Objects deleted at once, one request each, where the endpoint has no batch API. */
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
 * Deletes `names` in batch requests (see `batch-delete.ts`), or one request per object,
 * {@link DELETE_CONCURRENCY} at once, where the endpoint has no batch API (an emulator: the
 * backend remembers it). Names already gone are fine (but not a missing bucket). Every object is
 * tried before the failures are reported.
 * @throws StateBackendError (`partialDeleteError`) naming the objects that could not be deleted.
 */
export async function deleteNames(
  target: GcsTarget,
  names: readonly string[],
  context: DeleteFailureContext,
): Promise<void> {
  const { batch, options } = target;
  const failures: DeleteFailure[] = [];
  let unbatched = names;
  if (batch.supported !== false) {
    const outcome = await deleteInBatches(batch, options.bucket, names, options.maxAttempts);
    failures.push(...outcome.failures);
    unbatched = outcome.unbatched;
  }
  failures.push(...(await deleteEach(target, unbatched)));
  const first = failures[0];
  if (first === undefined) return;
  const reported: FailedDelete[] = failures.map(({ name, error }) => ({ name, reason: reasonOf(error) }));
  const advice = explainGcsError(first.error, options);
  throw partialDeleteError(
    GCS_STORE,
    { failures: reported, total: names.length, advice, cause: gcsCause(first.error) },
    context,
  );
}

/** Deletes `names` one request each (the client retries each); the ones that failed. */
async function deleteEach(target: GcsTarget, names: readonly string[]): Promise<DeleteFailure[]> {
  const failures: DeleteFailure[] = [];
  await forEachLimited(names, DELETE_CONCURRENCY, async (name) => {
    try {
      await target.bucket.file(name).delete();
    } catch (error) {
      if (!isObjectMissing(error)) failures.push({ name, error });
    }
  });
  return failures;
}

/** Why an object was not deleted, in a word or two. */
function reasonOf(error: unknown): string {
  const status = statusOf(error);
  if (status !== undefined) return `HTTP ${status}`;
  if (error instanceof BatchAnswerError) return "unreadable batch answer";
  return connectionFailure(error, ["ECONNABORTED"]) === undefined ? "not sent" : "no answer";
}

// An object listed without a time counts as written now: the orphan sweep's grace period starts over.
function writtenAt(metadata: { timeCreated?: string | undefined; updated?: string | undefined }): Date {
  const time = new Date(metadata.timeCreated ?? metadata.updated ?? Number.NaN);
  return Number.isNaN(time.getTime()) ? new Date() : time;
}
