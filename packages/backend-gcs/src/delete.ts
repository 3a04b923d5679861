import { StateBackendError } from "@flowstate/shared-state";
import type { File } from "@google-cloud/storage";
import { BACKEND, explainGcsError, gsUrl, isObjectMissing, sanitizedCause, statusOf } from "./errors.js";
import { forEachLimited } from "./limit.js";
import type { GcsTarget } from "./target.js";

/** Objects deleted at once by `clear`. */
const DELETE_CONCURRENCY = 16;

/** Removes `name`; no-op when it does not exist (but not when the bucket does not). */
export async function deleteObject({ bucket }: GcsTarget, name: string): Promise<void> {
  try {
    await bucket.file(name).delete();
  } catch (error) {
    if (!isObjectMissing(error)) throw error;
  }
}

/**
 * Deletes every object under `prefix`, a page of the listing at a time (GCS sends up to 1000
 * per page), {@link DELETE_CONCURRENCY} at once. Every object of a page is tried before the
 * failures are reported.
 */
export async function deletePrefix(target: GcsTarget, prefix: string): Promise<void> {
  let pageToken: string | undefined;
  do {
    const [files, next] = await target.bucket.getFiles({ prefix, autoPaginate: false, pageToken });
    await deletePage(target, files, prefix);
    pageToken = (next as { pageToken?: string } | null)?.pageToken;
  } while (pageToken);
}

async function deletePage(target: GcsTarget, files: File[], prefix: string): Promise<void> {
  const failures: Array<{ name: string; error: unknown }> = [];
  await forEachLimited(files, DELETE_CONCURRENCY, async (file) => {
    try {
      await file.delete();
    } catch (error) {
      if (!isObjectMissing(error)) failures.push({ name: file.name, error }); // gone already is fine
    }
  });
  const first = failures[0];
  if (first === undefined) return;
  const { options, operation } = target;
  const shown = failures
    .slice(0, 3)
    .map((f) => `${f.name} (${statusOf(f.error) === undefined ? "no answer" : `HTTP ${statusOf(f.error)}`})`)
    .join(", ");
  throw new StateBackendError(
    `${failures.length} of ${files.length} objects could not be deleted, e.g. ${shown}: ${explainGcsError(first.error, options)} Then run the clear again.`,
    {
      backend: BACKEND,
      operation,
      location: gsUrl(options.bucket, prefix),
      cause: sanitizedCause(first.error),
    },
  );
}
