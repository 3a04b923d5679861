/**
 * Worker-side maintenance: the expiry purge and the orphan sweep. Both run where backend
 * credentials live (a worker, or the `flowstate` CLI on one), read the metadata store, and delete
 * objects through the configured worker backend.
 */
import {
  ConfigError,
  type StateBackend,
  type StateRefToDelete,
  type StateScope,
  TaskScope,
} from "@flowstate/shared-state";
import { type BackendChoice, deleteRemovedObjects, resolveBackend } from "./state-objects.js";

/** A stored row as the maintenance functions need it: its value or reference, and who wrote it. */
interface StoredRow {
  value: string;
  backend: string | null;
}

/** A task state row the expiry purge removed. */
interface ExpiredRow extends StoredRow {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  key: string;
}

/** What the sweep reads: every state row. `StateStore` from `@flowstate/store` is one. */
export interface StateRowSource {
  listTaskState(): Promise<readonly StoredRow[]>;
  listAssetState(): Promise<readonly StoredRow[]>;
}

/** What the purge runs: the store's row purge. `StateStore` from `@flowstate/store` is one. */
export interface ExpiringStateStore {
  purgeExpired(now?: Date): Promise<readonly ExpiredRow[]>;
}

/**
 * Called as long work advances, e.g. to drive a progress bar: `done` items of `total` (unknown
 * while the sweep is still listing objects). Called often; keep it cheap.
 */
export type MaintenanceProgress = (done: number, total?: number) => void;

/** Options of {@link purgeExpiredState}. */
export interface PurgeExpiredStateOptions extends BackendChoice {
  store: ExpiringStateStore;
  /** @default the store's clock */
  now?: Date | undefined;
  /** Reports objects deleted of those the expired rows named, after each batch. */
  onProgress?: MaintenanceProgress | undefined;
}

/** What {@link purgeExpiredState} did. */
export interface PurgeExpiredStateResult {
  /** Expired rows removed from the metadata store. */
  rows: number;
  /** Objects those rows named, deleted from the backend. */
  objects: number;
  /** Objects that could not be deleted (reported as a warning): the sweep removes them later. */
  left: number;
}

/**
 * Removes expired task state: the rows (in the store) and the objects they named (through the
 * worker backend), rows first. Expiry removes values, not just rows.
 */
export async function purgeExpiredState(options: PurgeExpiredStateOptions): Promise<PurgeExpiredStateResult> {
  const expired = await options.store.purgeExpired(options.now);
  const rows = expired.map((row) => ({ ...row, scope: new TaskScope(row) }));
  const named = rows.filter((row) => row.backend !== null);
  const resolved = named.length > 0 ? await resolveBackend(options) : undefined;
  const progress = options.onProgress ?? (() => {});
  progress(0, named.length);
  let left = 0;
  // In batches, so a progress bar moves on a large purge; each batch is one deleteStateRefs call.
  for (let start = 0; start < named.length; start += SWEEP_BATCH) {
    const batch = named.slice(start, start + SWEEP_BATCH);
    left += await deleteRemovedObjects(resolved, batch, "the expiry purge");
    progress(start + batch.length, named.length);
  }
  return { rows: expired.length, objects: named.length - left, left };
}

/** The grace period of the sweep when none is given: a day. */
export const DEFAULT_SWEEP_GRACE_MS = 24 * 60 * 60 * 1000;

/** Options of {@link sweepOrphanedState}. */
export interface SweepOrphanedStateOptions extends BackendChoice {
  store: StateRowSource;
  /**
   * Only objects written at least this long ago are removed: longer than any `set` takes from
   * writing its object to recording its row, plus the clock skew between the storage and here.
   * @default 86_400_000 (a day)
   */
  olderThanMs?: number | undefined;
  /** Only this scope's objects (with `allMapIndices`, every map index of the task). */
  scope?: StateScope | undefined;
  allMapIndices?: boolean | undefined;
  /** List what would be removed, remove nothing. */
  dryRun?: boolean | undefined;
  /** @default () => new Date() */
  now?: (() => Date) | undefined;
  /**
   * Reports objects listed so far (no `total`) while listing, then orphans deleted of those
   * found (not called for deletes with `dryRun`).
   */
  onProgress?: MaintenanceProgress | undefined;
}

/** What {@link sweepOrphanedState} found and did. */
export interface SweepOrphanedStateResult {
  /** Objects the backend listed. */
  scanned: number;
  /** Of those, named by a row. */
  referenced: number;
  /** Unnamed, but younger than the grace period (a `set` may be about to reference them): kept. */
  young: number;
  /** Unnamed and older than the grace period: removed (or, with `dryRun`, to be removed). */
  orphans: string[];
  dryRun: boolean;
}

/** References deleted per `deleteStateRefs` call (by the sweep and by the purge). */
const SWEEP_BATCH = 1000;

/**
 * Finds the objects no state row names (left by a worker that crashed between writing an object
 * and recording it, or a delete whose object delete failed) and removes those older than the
 * grace period. An object a concurrent `set` is about to reference is younger than that, so it is
 * never removed. Objects are listed before the rows are read: a row recorded meanwhile names a
 * young object.
 */
export async function sweepOrphanedState(
  options: SweepOrphanedStateOptions,
): Promise<SweepOrphanedStateResult> {
  const graceMs = options.olderThanMs ?? DEFAULT_SWEEP_GRACE_MS;
  if (!Number.isFinite(graceMs) || graceMs < 0) {
    throw new ConfigError(`Invalid olderThanMs ${String(graceMs)}: expected a number of milliseconds ≥ 0.`);
  }
  const dryRun = options.dryRun === true;
  const resolved = await resolveBackend(options);
  if (resolved === undefined) return { scanned: 0, referenced: 0, young: 0, orphans: [], dryRun };
  const cutoff = (options.now ?? (() => new Date()))().getTime() - graceMs;
  const progress = options.onProgress ?? (() => {});
  const listed: { ref: string; old: boolean }[] = [];
  for await (const page of resolved.backend.listStateRefs({
    scope: options.scope,
    allMapIndices: options.allMapIndices,
  })) {
    for (const entry of page) listed.push({ ref: entry.ref, old: entry.writtenAt.getTime() <= cutoff });
    progress(listed.length);
  }
  const named = await namedReferences(options.store);
  const unnamed = listed.filter((entry) => !named.has(entry.ref));
  const orphans = unnamed.filter((entry) => entry.old).map((entry) => entry.ref);
  if (!dryRun) await deleteInBatches(resolved.backend, orphans, progress);
  return {
    scanned: listed.length,
    referenced: listed.length - unnamed.length,
    young: unnamed.length - orphans.length,
    orphans,
    dryRun,
  };
}

async function namedReferences(store: StateRowSource): Promise<Set<string>> {
  const [tasks, assets] = await Promise.all([store.listTaskState(), store.listAssetState()]);
  const named = new Set<string>();
  for (const row of [...tasks, ...assets]) if (row.backend !== null) named.add(row.value);
  return named;
}

async function deleteInBatches(
  backend: StateBackend,
  refs: readonly string[],
  progress: MaintenanceProgress,
): Promise<void> {
  progress(0, refs.length);
  for (let start = 0; start < refs.length; start += SWEEP_BATCH) {
    const batch: StateRefToDelete[] = refs.slice(start, start + SWEEP_BATCH).map((ref) => ({ ref }));
    await backend.deleteStateRefs(batch);
    progress(start + batch.length, refs.length);
  }
}
