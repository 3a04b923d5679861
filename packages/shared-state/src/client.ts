/** An asset as the worker knows it: by name or by uri. */
export type AssetRef =
  | { readonly name: string; readonly uri?: undefined }
  | { readonly uri: string; readonly name?: undefined };

/** A registered asset's whole identity, as the metadata store resolves a name or a uri. */
export interface AssetIdentity {
  readonly name: string;
  readonly uri: string;
}

/**
 * What one state row holds: the value, or, when a worker backend wrote it, the backend's
 * reference and the backend's class path.
 */
export interface StoredState {
  /** The value itself when `backend` is `null`; else the reference the backend returned. */
  value: string;
  /** The class path of the worker backend that wrote `value` as a reference; `null` for a plain value. */
  backend: string | null;
}

/** A task state row the store removed (clear, clear_on_success): which map index and key it was. */
export interface RemovedTaskState extends StoredState {
  mapIndex: number;
  key: string;
}

/** An asset state row the store removed (clear): which key it was. */
export interface RemovedAssetState extends StoredState {
  key: string;
}

/** Options of {@link StateClient.setTaskState}. */
export interface SetTaskStateOptions {
  /** When the row may be purged; `null` keeps it until deleted. */
  expiresAt: Date | null;
  /** The class path of the worker backend whose reference `value` is; `null` (the default) for a plain value. */
  backend?: string | null | undefined;
}

/** Options of {@link StateClient.setAssetState}. */
export interface SetAssetStateOptions {
  /** The class path of the worker backend whose reference `value` is; `null` (the default) for a plain value. */
  backend?: string | null | undefined;
}

/** What {@link StateClient.succeedTask} did. */
export interface SucceedTaskResult {
  /**
   * The task state rows removed with the success (`[state_store] clear_on_success`, as the store
   * is configured: the one source of truth); empty when it is off. The worker deletes the objects
   * they named.
   */
  clearedState: RemovedTaskState[];
}

/**
 * How the accessors reach the metadata store: Airflow's supervisor comms. The store records what
 * it is given: with a worker backend that is a reference (and the backend's class path), without
 * one the value itself.
 *
 * Task state is addressed by task instance id; the store maps it to (dag, run, task, map index),
 * so every try of a task instance sees the same state. Not-found reads are `undefined`; any other
 * failure throws a `StateStoreError`. A write that throws has changed nothing.
 *
 * Every write answers with the rows it replaced or removed, read in the same statement as the
 * write: the worker deletes exactly the objects those rows named, and nothing a concurrent writer
 * is about to reference.
 */
export interface StateClient {
  getTaskState(tiId: string, key: string): Promise<StoredState | undefined>;
  /** Records `value` and returns the row it replaced, if any. */
  setTaskState(
    tiId: string,
    key: string,
    value: string,
    options: SetTaskStateOptions,
  ): Promise<StoredState | undefined>;
  /** Removes the key and returns the row removed; `undefined` when the key did not exist. */
  deleteTaskState(tiId: string, key: string): Promise<StoredState | undefined>;
  /** Removes every key of the task instance (with `allMapIndices`, of every map index of its task); returns the rows removed. */
  clearTaskState(tiId: string, options?: { allMapIndices?: boolean }): Promise<RemovedTaskState[]>;

  /** The asset's name and uri, whichever was given; `undefined` when no active asset has it. */
  getAsset(asset: AssetRef): Promise<AssetIdentity | undefined>;
  getAssetState(asset: AssetRef, key: string): Promise<StoredState | undefined>;
  /** Records `value` and returns the row it replaced, if any. */
  setAssetState(
    asset: AssetRef,
    key: string,
    value: string,
    options?: SetAssetStateOptions,
  ): Promise<StoredState | undefined>;
  deleteAssetState(asset: AssetRef, key: string): Promise<StoredState | undefined>;
  clearAssetState(asset: AssetRef): Promise<RemovedAssetState[]>;

  /**
   * Marks the task instance succeeded. With `[state_store] clear_on_success` (the store's
   * setting), the store removes its task state rows in the same transaction and returns them.
   */
  succeedTask(tiId: string): Promise<SucceedTaskResult>;
  /** Marks the task instance failed; its state is kept for the retry. */
  failTask(tiId: string): Promise<void>;
}
