import { StateStoreError } from "@flowstate/shared-state";

/**
 * The one way the store words a failure: `[flowstate] [store] <operation> failed for <location>:
 * <what happened> <what to do>`, the same shape as backend errors.
 */
export function storeMessage(operation: string, location: string, problem: string): string {
  return `[flowstate] [store] ${operation} failed for ${location}: ${problem}`;
}

/** Wraps a driver error (SQLite or PostgreSQL) in a `StateStoreError` that keeps it as `cause`. */
export function wrapDriverError(
  operation: string,
  location: string,
  error: unknown,
  advice: string | undefined,
): StateStoreError {
  const what = error instanceof Error ? error.message : String(error);
  const problem = advice ? `${what}. ${advice}` : what;
  return new StateStoreError(storeMessage(operation, location, problem), { cause: error });
}
