import {
  type AssetIdentity as AssetNameAndUri,
  AssetNotFoundError,
  type AssetRef,
  type RemovedAssetState,
  type RemovedTaskState,
  type SetAssetStateOptions,
  type SetTaskStateOptions,
  type StateClient,
  StateValidationError,
  type StoredState,
  type SucceedTaskResult,
  TaskInstanceNotFoundError,
  validateStateKey,
  validateStateValue,
} from "@flowstate/shared-state";
import type { AssetIdentity } from "./database.js";
import { storeMessage } from "./failures.js";
import type { StoreRuntime } from "./runtime.js";
import type { TaskInstanceRecord, TaskInstanceState } from "./types.js";
import { assetLookup, expiresAtMs, validateTaskInstanceId } from "./validate.js";

/**
 * The embedded {@link StateClient}: the accessors' way into this process's store, playing the
 * part of Airflow's supervisor comms. Task state is addressed by task instance id and stored
 * under its task (dag, run, task, map index), so every try reads what earlier tries wrote.
 * Each dialect runs each write in one transaction: a write that throws has changed nothing.
 */
export class EmbeddedStateClient implements StateClient {
  readonly #runtime: StoreRuntime;

  constructor(runtime: StoreRuntime) {
    this.#runtime = runtime;
  }

  async getTaskState(tiId: string, key: string): Promise<StoredState | undefined> {
    return this.#runtime.run("getTaskState", async () => {
      validateStateKey(key);
      const { db } = this.#runtime;
      if (db.readTaskStateOfInstance) {
        validateTaskInstanceId(tiId);
        const read = await db.readTaskStateOfInstance(tiId, key, this.#runtime.nowMs("getTaskState"));
        if (!read.found) throw this.#taskInstanceNotFound("getTaskState", tiId);
        return read.row;
      }
      const ti = await this.#taskInstance("getTaskState", tiId);
      return db.readTaskState(ti, key, this.#runtime.nowMs("getTaskState"));
    });
  }

  async setTaskState(
    tiId: string,
    key: string,
    value: string,
    options: SetTaskStateOptions,
  ): Promise<StoredState | undefined> {
    return this.#runtime.run("setTaskState", async () => {
      validateStateKey(key);
      validateStateValue(value, key);
      const row = { value, backend: backendOf(options), expiresAtMs: expiresAtMs(options) };
      const { db } = this.#runtime;
      if (db.writeTaskStateOfInstance) {
        // The dialect checks the task instance in the write's own statement (one round trip).
        validateTaskInstanceId(tiId);
        const written = await db.writeTaskStateOfInstance(
          tiId,
          key,
          row,
          this.#runtime.nowMs("setTaskState"),
        );
        if (!written.found) throw this.#taskInstanceNotFound("setTaskState", tiId);
        return written.row;
      }
      const ti = await this.#taskInstance("setTaskState", tiId);
      return db.writeTaskState(ti, key, row, this.#runtime.nowMs("setTaskState"));
    });
  }

  async deleteTaskState(tiId: string, key: string): Promise<StoredState | undefined> {
    return this.#runtime.run("deleteTaskState", async () => {
      validateStateKey(key);
      const ti = await this.#taskInstance("deleteTaskState", tiId);
      return this.#runtime.db.deleteTaskState(ti, key);
    });
  }

  async clearTaskState(tiId: string, options?: { allMapIndices?: boolean }): Promise<RemovedTaskState[]> {
    return this.#runtime.run("clearTaskState", async () => {
      const ti = await this.#taskInstance("clearTaskState", tiId);
      return this.#runtime.db.clearTaskState(ti, options?.allMapIndices === true);
    });
  }

  async getAsset(asset: AssetRef): Promise<AssetNameAndUri | undefined> {
    return this.#runtime.run("getAsset", async () => {
      const found = await this.#findAsset(asset);
      return found ? { name: found.name, uri: found.uri } : undefined;
    });
  }

  async getAssetState(asset: AssetRef, key: string): Promise<StoredState | undefined> {
    return this.#runtime.run("getAssetState", async () => {
      validateStateKey(key);
      const found = await this.#findAsset(asset);
      return found ? this.#runtime.db.readAssetState(found.id, key) : undefined; // unknown asset: nothing stored
    });
  }

  async setAssetState(
    asset: AssetRef,
    key: string,
    value: string,
    options?: SetAssetStateOptions,
  ): Promise<StoredState | undefined> {
    return this.#runtime.run("setAssetState", async () => {
      validateStateKey(key);
      validateStateValue(value, key);
      const row = { value, backend: backendOf(options) };
      const found = await this.#findAsset(asset);
      if (!found) throw this.#assetNotFound("setAssetState", asset);
      return this.#runtime.db.writeAssetState(found.id, key, row, this.#runtime.nowMs("setAssetState"));
    });
  }

  async deleteAssetState(asset: AssetRef, key: string): Promise<StoredState | undefined> {
    return this.#runtime.run("deleteAssetState", async () => {
      validateStateKey(key);
      const found = await this.#findAsset(asset);
      return found ? this.#runtime.db.deleteAssetState(found.id, key) : undefined;
    });
  }

  async clearAssetState(asset: AssetRef): Promise<RemovedAssetState[]> {
    return this.#runtime.run("clearAssetState", async () => {
      const found = await this.#findAsset(asset);
      return found ? this.#runtime.db.clearAssetState(found.id) : [];
    });
  }

  async succeedTask(tiId: string): Promise<SucceedTaskResult> {
    const cleared = await this.#finish("succeedTask", tiId, "success", this.#runtime.settings.clearOnSuccess);
    return { clearedState: cleared };
  }

  async failTask(tiId: string): Promise<void> {
    await this.#finish("failTask", tiId, "failed", false);
  }

  async #finish(
    operation: string,
    tiId: string,
    state: TaskInstanceState,
    clearState: boolean,
  ): Promise<RemovedTaskState[]> {
    return this.#runtime.run(operation, async () => {
      validateTaskInstanceId(tiId);
      const nowMs = this.#runtime.nowMs(operation);
      const cleared = await this.#runtime.db.finishTaskInstance(tiId, state, clearState, nowMs);
      if (!cleared) throw this.#taskInstanceNotFound(operation, tiId);
      return cleared;
    });
  }

  async #taskInstance(operation: string, tiId: string): Promise<TaskInstanceRecord> {
    validateTaskInstanceId(tiId);
    const ti = await this.#runtime.db.findTaskInstance(tiId);
    if (!ti) throw this.#taskInstanceNotFound(operation, tiId);
    return ti;
  }

  #taskInstanceNotFound(operation: string, tiId: string): TaskInstanceNotFoundError {
    const problem = `task instance '${tiId}' does not exist. Create it with store.createTaskInstance before using its state.`;
    return new TaskInstanceNotFoundError(storeMessage(operation, this.#runtime.db.location, problem));
  }

  async #findAsset(asset: AssetRef): Promise<AssetIdentity | undefined> {
    return this.#runtime.db.findActiveAsset(assetLookup(asset));
  }

  #assetNotFound(operation: string, asset: AssetRef): AssetNotFoundError {
    const { column, value } = assetLookup(asset);
    const problem = `asset with ${column} '${value}' is not registered; register it with store.registerAsset({ name, uri }).`;
    return new AssetNotFoundError(storeMessage(operation, this.#runtime.db.location, problem));
  }
}

/** The `backend` option of a write: a class path, or `null` for a plain value. */
export function backendOf(options: { backend?: unknown } | null | undefined): string | null {
  const backend = options?.backend ?? null;
  if (backend === null || (typeof backend === "string" && backend.trim() !== "")) return backend;
  throw new StateValidationError(
    `Invalid backend ${JSON.stringify(backend) ?? typeof backend}: expected the worker backend's class path, or null for a plain value.`,
  );
}
