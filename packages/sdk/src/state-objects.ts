/**
 * The worker's half of "rows first, then objects": once the metadata store has removed or
 * replaced rows (and answered with them), the objects those rows named are deleted through the
 * worker backend — exactly those, so a version a concurrent `set` is about to reference is never
 * touched. The rows are gone either way: a failure here leaves orphan objects, which the sweep
 * removes, and is reported as a process warning rather than failing a call that did its job.
 */
import type { ConfigReader, StateBackend, StateRefToDelete, StateScope } from "@flowstate/shared-state";
import { getConfiguredStateBackend } from "./backend-loader.js";

/** A worker backend with the class path it is recorded under. */
export interface ResolvedBackend {
  backend: StateBackend;
  /** `[workers] state_backend`, or the class name of a backend handed over directly. */
  classPath: string;
}

/** Which backend to use: one handed over directly, else the one `[workers] state_backend` names. */
export interface BackendChoice {
  /** A backend to use instead of the configured one (embedding, tests). */
  backend?: StateBackend | undefined;
  /** The name rows written through {@link backend} record. @default its class name */
  backendClassPath?: string | undefined;
  /** The configuration whose `[workers] state_backend` names the backend. */
  conf?: ConfigReader | undefined;
}

/**
 * The chosen backend with the class path its rows record, or `undefined` when there is none.
 * (Not an async function: it is on every call's path, and handing back the loader's promise from
 * an async function would cost two more microtask turns.)
 */
export function resolveBackend(choice: BackendChoice): Promise<ResolvedBackend | undefined> {
  const direct = directBackend(choice);
  if (direct !== undefined) return Promise.resolve(direct);
  return choice.conf ? getConfiguredStateBackend(choice.conf) : Promise.resolve(undefined);
}

/** The backend handed over directly, with its class path; `undefined` when there is none. */
export function directBackend(choice: BackendChoice): ResolvedBackend | undefined {
  const { backend } = choice;
  if (backend === undefined) return undefined;
  return { backend, classPath: choice.backendClassPath ?? backend.constructor?.name ?? "custom backend" };
}

/** A removed or replaced row, and the scope and key it belonged to. */
export interface RemovedRow {
  value: string;
  backend: string | null;
  scope: StateScope;
  key: string;
}

/** The warning code of objects left behind; listen with `process.on("warning", …)`. */
export const ORPHANED_OBJECTS_WARNING = "FLOWSTATE_ORPHANED_OBJECTS";

/**
 * Deletes the objects `rows` named (rows of plain values name none). Never throws.
 * @param what what removed the rows, for the warning, e.g. `"delete of key 'job_id'"`.
 * @returns how many objects were left behind.
 */
export async function deleteRemovedObjects(
  resolved: ResolvedBackend | undefined,
  rows: readonly RemovedRow[],
  what: string,
): Promise<number> {
  const refs: StateRefToDelete[] = [];
  for (const row of rows)
    if (row.backend !== null) refs.push({ ref: row.value, scope: row.scope, key: row.key });
  if (refs.length === 0) return 0;
  if (resolved === undefined) {
    const writers = [...new Set(rows.flatMap((row) => (row.backend === null ? [] : [row.backend])))];
    warnOrphans(
      refs.length,
      what,
      `no worker backend is configured here to delete them from ${writers.join(", ")}`,
    );
    return refs.length;
  }
  try {
    await resolved.backend.deleteStateRefs(refs);
    return 0;
  } catch (error) {
    warnOrphans(refs.length, what, error instanceof Error ? error.message : String(error));
    return refs.length;
  }
}

/** Reports objects left behind, with what removes them. */
export function warnOrphans(count: number, what: string, why: string): void {
  process.emitWarning(
    `[flowstate] ${count} object(s) named by the rows of ${what} could not be deleted (${why}). The rows are gone; sweepOrphanedState removes the objects later.`,
    { code: ORPHANED_OBJECTS_WARNING },
  );
}
