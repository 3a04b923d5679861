import type { StateClient } from "@flowstate/shared-state";

/** The states a task instance goes through in the metadata store. */
export type TaskInstanceState = "queued" | "running" | "success" | "failed";

/** What {@link StateStore.createTaskInstance} needs: the task, and optionally the try and id. */
export interface TaskInstanceInit {
  dagId: string;
  runId: string;
  taskId: string;
  /** The map index of a mapped task. @default -1 (unmapped) */
  mapIndex?: number;
  /** Which try this is (Airflow counts from 1). @default 1 */
  tryNumber?: number;
  /** The task instance id. @default crypto.randomUUID() */
  id?: string;
}

/** A task instance as the store records it. */
export interface TaskInstanceRecord {
  id: string;
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  tryNumber: number;
  state: TaskInstanceState;
}

/**
 * One task state row as stored. Rows are keyed by the task (dag, run, task, map index), not by
 * the try, so every try of a task instance shares them.
 */
export interface TaskStateRow {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  key: string;
  /** The value, or the worker backend's reference when `backend` is set. */
  value: string;
  /** The class path of the worker backend whose reference `value` is; `null` for a plain value. */
  backend: string | null;
  /** When the row may be purged; `null` never expires. */
  expiresAt: Date | null;
  updatedAt: Date;
}

/** One asset state row as stored, with the asset's name and uri. */
export interface AssetStateRow {
  assetName: string;
  assetUri: string;
  key: string;
  /** The value, or the worker backend's reference when `backend` is set. */
  value: string;
  /** The class path of the worker backend whose reference `value` is; `null` for a plain value. */
  backend: string | null;
  updatedAt: Date;
}

/** Which task state rows {@link StateStore.listTaskState} returns; every field narrows. */
export interface TaskStateFilter {
  dagId?: string;
  runId?: string;
  taskId?: string;
  mapIndex?: number;
}

/** Which task instances {@link StateStore.listTaskInstances} returns; every field narrows. */
export type TaskInstanceFilter = TaskStateFilter;

/** The schema versions of a store's database: what it had when opened, and what it has now. */
export interface StoreSchemaVersion {
  /** The version found when the store opened the database; `0` for a new database. */
  atOpen: number;
  /** The version now: this code's latest, since opening migrates. */
  current: number;
}

/** Which asset state rows {@link StateStore.listAssetState} returns; every field narrows. */
export interface AssetStateFilter {
  name?: string;
  uri?: string;
}

/** An asset to register: like an Airflow `Asset`, it has both a name and a uri. */
export interface AssetInit {
  name: string;
  uri: string;
}

/**
 * The metadata store: task instances, task state rows and asset state rows. Every method is
 * async so that a networked dialect (PostgreSQL, an API server) can implement the same API.
 * Every storage failure is a `StateStoreError` naming the operation and {@link location}.
 */
export interface StateStore {
  /** The file (or URL) this store writes, for messages. */
  readonly location: string;
  /** The schema version before and after the migration opening the store ran. */
  readonly schemaVersion: StoreSchemaVersion;
  /**
   * Records a new task instance (a try) in state `queued`.
   * @throws `InvalidScopeError` / `StateValidationError` for bad ids or numbers,
   *   `StateStoreError` when the id is already taken.
   */
  createTaskInstance(init: TaskInstanceInit): Promise<TaskInstanceRecord>;
  /** The task instance with that id, or `undefined`. */
  getTaskInstance(id: string): Promise<TaskInstanceRecord | undefined>;
  /**
   * Task instances (every try), ordered by dag, run, task, map index and try number. Filters
   * optional. For the CLI and tools that find a task instance by its task rather than its id.
   */
  listTaskInstances(filter?: TaskInstanceFilter): Promise<TaskInstanceRecord[]>;
  /**
   * Registers (or updates) an active asset; name and uri are both required, like an Airflow
   * Asset. Re-registering a name with a new uri moves the asset to that uri.
   * @throws `StateStoreError` when the uri already belongs to an asset of another name.
   */
  registerAsset(asset: AssetInit): Promise<void>;
  /** The embedded `StateClient` (interface in `@flowstate/shared-state`) over this store. */
  client(): StateClient;
  /**
   * Inspection for examples, tests and the future CLI: rows as stored (values are references
   * when a worker backend is configured), expired ones included. Filters optional.
   */
  listTaskState(filter?: TaskStateFilter): Promise<TaskStateRow[]>;
  /** Asset state rows as stored, ordered by asset name and key. Filters optional. */
  listAssetState(filter?: AssetStateFilter): Promise<AssetStateRow[]>;
  /**
   * Deletes task state rows whose expiresAt <= now and returns them. Rows whose `backend` is set
   * named objects in that worker backend: the sdk's `purgeExpiredState` runs this on a worker and
   * deletes those objects too (only workers hold backend credentials).
   * @default now: the store's clock
   */
  purgeExpired(now?: Date): Promise<TaskStateRow[]>;
  /** Closes the database. Later calls fail with `StateStoreError`; closing twice is a no-op. */
  close(): Promise<void>;
}
