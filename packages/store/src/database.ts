/**
 * The dialect boundary. The store's logic (validation, errors, clocks) lives in `store.ts` and
 * `client.ts`; everything that speaks SQL to one kind of database implements {@link StoreDatabase}.
 * SQLite (`sqlite/`) and PostgreSQL (`postgres/`) implement it. Times are epoch
 * milliseconds here, so that expiry compares as integers in every dialect.
 */
import type { RemovedAssetState, RemovedTaskState, StoredState } from "@flowstate/shared-state";
import type {
  AssetStateFilter,
  AssetStateRow,
  StoreSchemaVersion,
  TaskInstanceRecord,
  TaskInstanceState,
  TaskStateFilter,
  TaskStateRow,
} from "./types.js";

/** What task state rows are keyed by: the task, shared by all its tries. */
export interface TaskKey {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
}

/** How a worker names an asset: one column and its value. */
export interface AssetLookup {
  column: "name" | "uri";
  value: string;
}

/** A registered, active asset. */
export interface AssetIdentity {
  id: number;
  name: string;
  uri: string;
}

/** What a task state write records: the value (or reference), its backend, and its expiry. */
export interface TaskStateWrite extends StoredState {
  expiresAtMs: number | null;
}

/**
 * What a task state read or write addressed by task instance id found: no such task instance
 * (nothing read or written), or the row (read, or replaced by the write).
 */
export type OfTaskInstance = { found: false } | { found: true; row: StoredState | undefined };

/** One database dialect. Methods throw the driver's own errors; the store wraps them. */
export interface StoreDatabase {
  /** The file or URL, for messages. Never contains credentials. */
  readonly location: string;
  /** The schema version found when the database was opened, and the version after migrating. */
  readonly schemaVersion: StoreSchemaVersion;

  /** Inserts the task instance; `false` when the id is already taken (nothing written). */
  insertTaskInstance(record: TaskInstanceRecord, nowMs: number): Promise<boolean>;
  findTaskInstance(id: string): Promise<TaskInstanceRecord | undefined>;
  listTaskInstances(filter: TaskStateFilter): Promise<TaskInstanceRecord[]>;
  /**
   * Sets the task instance's state and, with `clearState`, deletes its task state rows (its own
   * map index) in the same transaction, returning them. `undefined` when there is no such task
   * instance (nothing changed).
   */
  finishTaskInstance(
    id: string,
    state: TaskInstanceState,
    clearState: boolean,
    nowMs: number,
  ): Promise<RemovedTaskState[] | undefined>;

  /** The unexpired row (`expires_at` null or `> nowMs`). */
  readTaskState(task: TaskKey, key: string, nowMs: number): Promise<StoredState | undefined>;
  /** Upserts the row; returns the row it replaced (expired or not), read in the same transaction. */
  writeTaskState(
    task: TaskKey,
    key: string,
    row: TaskStateWrite,
    nowMs: number,
  ): Promise<StoredState | undefined>;
  /**
   * Optional: {@link readTaskState} of the task instance `tiId`'s task, the task instance looked
   * up in the same statement (one round trip instead of two, for a networked dialect).
   */
  readTaskStateOfInstance?(tiId: string, key: string, nowMs: number): Promise<OfTaskInstance>;
  /** Optional: {@link writeTaskState} of the task instance `tiId`'s task, looked up in the same statement. */
  writeTaskStateOfInstance?(
    tiId: string,
    key: string,
    row: TaskStateWrite,
    nowMs: number,
  ): Promise<OfTaskInstance>;
  /** Deletes the row; returns it. */
  deleteTaskState(task: TaskKey, key: string): Promise<StoredState | undefined>;
  /** Deletes the task's rows (of its map index, or with `allMapIndices` of every map index); returns them. */
  clearTaskState(task: TaskKey, allMapIndices: boolean): Promise<RemovedTaskState[]>;
  listTaskState(filter: TaskStateFilter): Promise<TaskStateRow[]>;
  /** Deletes rows whose `expires_at <= nowMs`; returns them. */
  purgeExpiredTaskState(nowMs: number): Promise<TaskStateRow[]>;

  /**
   * Inserts the asset or updates the one with that name. Returns the name of another asset that
   * already owns `uri` (nothing written), else `undefined`.
   */
  upsertAsset(name: string, uri: string): Promise<string | undefined>;
  findActiveAsset(lookup: AssetLookup): Promise<AssetIdentity | undefined>;
  readAssetState(assetId: number, key: string): Promise<StoredState | undefined>;
  /** Upserts the row; returns the row it replaced, read in the same transaction. */
  writeAssetState(
    assetId: number,
    key: string,
    row: StoredState,
    nowMs: number,
  ): Promise<StoredState | undefined>;
  deleteAssetState(assetId: number, key: string): Promise<StoredState | undefined>;
  clearAssetState(assetId: number): Promise<RemovedAssetState[]>;
  listAssetState(filter: AssetStateFilter): Promise<AssetStateRow[]>;

  /** A sentence saying what to do about a driver error (locked, read-only, not a database…), if known. */
  adviceFor(error: unknown): string | undefined;
  close(): Promise<void>;
}
