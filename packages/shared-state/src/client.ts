/** An asset as the worker knows it: by name or by uri. */
export type AssetRef =
  | { readonly name: string; readonly uri?: undefined }
  | { readonly uri: string; readonly name?: undefined };

/** Options of {@link StateClient.setTaskState}. */
export interface SetTaskStateOptions {
  /** When the row may be purged; `null` keeps it until deleted. */
  expiresAt: Date | null;
}

/**
 * How the accessors reach the metadata store: Airflow's supervisor comms. The store records what
 * it is given: with a worker backend that is a reference, without one the value itself.
 *
 * Task state is addressed by task instance id; the store maps it to (dag, run, task, map index),
 * so every try of a task instance sees the same state. Not-found reads are `undefined`; any other
 * failure throws a `StateStoreError`.
 */
export interface StateClient {
  getTaskState(tiId: string, key: string): Promise<string | undefined>;
  setTaskState(tiId: string, key: string, value: string, options: SetTaskStateOptions): Promise<void>;
  /** No-op when the key does not exist. */
  deleteTaskState(tiId: string, key: string): Promise<void>;
  /** Deletes every key of the task instance; with `allMapIndices`, of every map index of its task. */
  clearTaskState(tiId: string, options?: { allMapIndices?: boolean }): Promise<void>;

  getAssetState(asset: AssetRef, key: string): Promise<string | undefined>;
  setAssetState(asset: AssetRef, key: string, value: string): Promise<void>;
  deleteAssetState(asset: AssetRef, key: string): Promise<void>;
  clearAssetState(asset: AssetRef): Promise<void>;

  /** Marks the task instance succeeded. With `[state_store] clear_on_success`, the store also clears its task state rows. */
  succeedTask(tiId: string): Promise<void>;
  /** Marks the task instance failed; its state is kept for the retry. */
  failTask(tiId: string): Promise<void>;
}
