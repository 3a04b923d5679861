import { objectUrl } from "@flowstate/object-storage-backend";
import { StateBackendError, type StateBackendOperation } from "@flowstate/shared-state";
import { explainGcsError, isObjectMissing, sanitizedCause, statusOf } from "./errors.js";
import { GCS_STORE } from "./identity.js";
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

/** The names under `prefix`, a page of the listing (GCS sends up to 1000 per page) at a time. */
export async function* listNames({ bucket }: GcsTarget, prefix: string): AsyncGenerator<string[]> {
  let pageToken: string | undefined;
  do {
    const [files, next] = await bucket.getFiles({ prefix, autoPaginate: false, pageToken });
    yield files.map((file) => file.name);
    pageToken = (next as { pageToken?: string } | null)?.pageToken;
  } while (pageToken);
}

/**
 * Deletes `names`, {@link DELETE_CONCURRENCY} at once. Every object is tried before the failures
 * are reported.
 */
export async function deleteNames(
  target: GcsTarget,
  names: string[],
  { prefix, operation }: { prefix: string; operation: StateBackendOperation },
): Promise<void> {
  const failures: Array<{ name: string; error: unknown }> = [];
  await forEachLimited(names, DELETE_CONCURRENCY, async (name) => {
    try {
      await target.bucket.file(name).delete();
    } catch (error) {
      if (!isObjectMissing(error)) failures.push({ name, error }); // gone already is fine
    }
  });
  const first = failures[0];
  if (first === undefined) return;
  const { options } = target;
  const shown = failures
    .slice(0, 3)
    .map((f) => `${f.name} (${statusOf(f.error) === undefined ? "no answer" : `HTTP ${statusOf(f.error)}`})`)
    .join(", ");
  throw new StateBackendError(
    `${failures.length} of ${names.length} objects could not be deleted, e.g. ${shown}: ${explainGcsError(first.error, options)} Then run the clear again.`,
    {
      backend: GCS_STORE.backend,
      operation,
      location: objectUrl(GCS_STORE.scheme, options.bucket, prefix),
      cause: sanitizedCause(first.error),
    },
  );
}
