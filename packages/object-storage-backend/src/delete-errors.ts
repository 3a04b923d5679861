import { StateBackendError } from "@flowstate/shared-state";
import type { DeleteFailureContext, ObjectStoreIdentity } from "./types.js";

/** One object a batch delete could not remove, and why in a word (`AccessDenied`, `HTTP 403`). */
export interface FailedDelete {
  name: string;
  reason: string;
}

/**
 * The error for a batch delete that removed some objects but not `failures`: how many, the first
 * three with their reasons, what to fix (`advice`, a sentence), and to run the operation again.
 */
export function partialDeleteError(
  store: ObjectStoreIdentity,
  report: { failures: readonly FailedDelete[]; total: number; advice: string; cause?: unknown },
  context: DeleteFailureContext,
): StateBackendError {
  const { failures, total, advice, cause } = report;
  const shown = failures
    .slice(0, 3)
    .map((f) => `${f.name} (${f.reason})`)
    .join(", ");
  return new StateBackendError(
    `${failures.length} of ${total} objects could not be deleted, e.g. ${shown}: ${advice} Then run the ${context.operation} again.`,
    { backend: store.backend, operation: context.operation, location: context.location, cause },
  );
}
