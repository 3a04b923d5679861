import {
  AssetNotFoundError,
  type AssetRef,
  type SetTaskStateOptions,
  type StateClient,
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
 */
export class EmbeddedStateClient implements StateClient {
  readonly #runtime: StoreRuntime;

  constructor(runtime: StoreRuntime) {
    this.#runtime = runtime;
  }

  async getTaskState(tiId: string, key: string): Promise<string | undefined> {
    return this.#runtime.run("getTaskState", async () => {
      validateStateKey(key);
      const ti = await this.#taskInstance("getTaskState", tiId);
      return this.#runtime.db.readTaskState(ti, key, this.#runtime.nowMs("getTaskState"));
    });
  }

  async setTaskState(tiId: string, key: string, value: string, options: SetTaskStateOptions): Promise<void> {
    await this.#runtime.run("setTaskState", async () => {
      validateStateKey(key);
      validateStateValue(value, key);
      const expiresAt = expiresAtMs(options);
      const ti = await this.#taskInstance("setTaskState", tiId);
      const nowMs = this.#runtime.nowMs("setTaskState");
      await this.#runtime.db.writeTaskState(ti, key, value, expiresAt, nowMs);
    });
  }

  async deleteTaskState(tiId: string, key: string): Promise<void> {
    await this.#runtime.run("deleteTaskState", async () => {
      validateStateKey(key);
      const ti = await this.#taskInstance("deleteTaskState", tiId);
      await this.#runtime.db.deleteTaskState(ti, key);
    });
  }

  async clearTaskState(tiId: string, options?: { allMapIndices?: boolean }): Promise<void> {
    await this.#runtime.run("clearTaskState", async () => {
      const ti = await this.#taskInstance("clearTaskState", tiId);
      await this.#runtime.db.clearTaskState(ti, options?.allMapIndices === true);
    });
  }

  async getAssetState(asset: AssetRef, key: string): Promise<string | undefined> {
    return this.#runtime.run("getAssetState", async () => {
      validateStateKey(key);
      const found = await this.#findAsset(asset);
      return found ? this.#runtime.db.readAssetState(found.id, key) : undefined; // unknown asset: nothing stored
    });
  }

  async setAssetState(asset: AssetRef, key: string, value: string): Promise<void> {
    await this.#runtime.run("setAssetState", async () => {
      validateStateKey(key);
      validateStateValue(value, key);
      const found = await this.#findAsset(asset);
      if (!found) throw this.#assetNotFound("setAssetState", asset);
      await this.#runtime.db.writeAssetState(found.id, key, value, this.#runtime.nowMs("setAssetState"));
    });
  }

  async deleteAssetState(asset: AssetRef, key: string): Promise<void> {
    await this.#runtime.run("deleteAssetState", async () => {
      validateStateKey(key);
      const found = await this.#findAsset(asset);
      if (found) await this.#runtime.db.deleteAssetState(found.id, key);
    });
  }

  async clearAssetState(asset: AssetRef): Promise<void> {
    await this.#runtime.run("clearAssetState", async () => {
      const found = await this.#findAsset(asset);
      if (found) await this.#runtime.db.clearAssetState(found.id);
    });
  }

  async succeedTask(tiId: string): Promise<void> {
    await this.#finish("succeedTask", tiId, "success", this.#runtime.settings.clearOnSuccess);
  }

  async failTask(tiId: string): Promise<void> {
    await this.#finish("failTask", tiId, "failed", false);
  }

  async #finish(
    operation: string,
    tiId: string,
    state: TaskInstanceState,
    clearState: boolean,
  ): Promise<void> {
    await this.#runtime.run(operation, async () => {
      validateTaskInstanceId(tiId);
      const nowMs = this.#runtime.nowMs(operation);
      const found = await this.#runtime.db.finishTaskInstance(tiId, state, clearState, nowMs);
      if (!found) throw this.#taskInstanceNotFound(operation, tiId);
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
