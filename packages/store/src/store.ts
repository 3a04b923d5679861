import { type StateClient, StateStoreError } from "@flowstate/shared-state";
import { EmbeddedStateClient } from "./client.js";
import type { StoreDatabase } from "./database.js";
import { storeMessage } from "./failures.js";
import { StoreRuntime, type StoreSettings } from "./runtime.js";
import type {
  AssetInit,
  AssetStateFilter,
  AssetStateRow,
  StateStore,
  StoreSchemaVersion,
  TaskInstanceFilter,
  TaskInstanceInit,
  TaskInstanceRecord,
  TaskStateFilter,
  TaskStateRow,
} from "./types.js";
import {
  dateMs,
  newTaskInstanceRecord,
  validateAssetInit,
  validateAssetStateFilter,
  validateTaskInstanceId,
  validateTaskStateFilter,
} from "./validate.js";

/** {@link StateStore} over any {@link StoreDatabase} dialect. */
export class MetadataStateStore implements StateStore {
  readonly #runtime: StoreRuntime;
  readonly #client: EmbeddedStateClient;

  /**
   * @param createClient builds the embedded client over the store's runtime; a dialect passes
   *   its own subclass (SQLite answers synchronously). @default the shared {@link EmbeddedStateClient}
   */
  constructor(
    db: StoreDatabase,
    settings: StoreSettings,
    createClient: (runtime: StoreRuntime) => EmbeddedStateClient = (runtime) =>
      new EmbeddedStateClient(runtime),
  ) {
    this.#runtime = new StoreRuntime(db, settings);
    this.#client = createClient(this.#runtime);
  }

  get location(): string {
    return this.#runtime.db.location;
  }

  get schemaVersion(): StoreSchemaVersion {
    return { ...this.#runtime.db.schemaVersion };
  }

  async createTaskInstance(init: TaskInstanceInit): Promise<TaskInstanceRecord> {
    return this.#runtime.run("createTaskInstance", async () => {
      const record = newTaskInstanceRecord(init);
      const created = await this.#runtime.db.insertTaskInstance(
        record,
        this.#runtime.nowMs("createTaskInstance"),
      );
      if (!created) {
        const problem = `task instance id '${record.id}' is already taken. Each try is a new task instance with its own id (omit id for a random UUID).`;
        throw new StateStoreError(storeMessage("createTaskInstance", this.location, problem));
      }
      return record;
    });
  }

  async getTaskInstance(id: string): Promise<TaskInstanceRecord | undefined> {
    return this.#runtime.run("getTaskInstance", async () => {
      validateTaskInstanceId(id);
      return this.#runtime.db.findTaskInstance(id);
    });
  }

  async listTaskInstances(filter?: TaskInstanceFilter): Promise<TaskInstanceRecord[]> {
    return this.#runtime.run("listTaskInstances", async () =>
      this.#runtime.db.listTaskInstances(validateTaskStateFilter(filter)),
    );
  }

  async registerAsset(asset: AssetInit): Promise<void> {
    await this.#runtime.run("registerAsset", async () => {
      validateAssetInit(asset);
      const owner = await this.#runtime.db.upsertAsset(asset.name, asset.uri);
      if (owner !== undefined) {
        const problem =
          `uri '${asset.uri}' is already registered for the asset named '${owner}'. An asset's name and uri ` +
          `identify one asset: register it as { name: '${owner}', uri: '${asset.uri}' } or use another uri.`;
        throw new StateStoreError(storeMessage("registerAsset", this.location, problem));
      }
    });
  }

  client(): StateClient {
    return this.#client;
  }

  async listTaskState(filter?: TaskStateFilter): Promise<TaskStateRow[]> {
    return this.#runtime.run("listTaskState", async () =>
      this.#runtime.db.listTaskState(validateTaskStateFilter(filter)),
    );
  }

  async listAssetState(filter?: AssetStateFilter): Promise<AssetStateRow[]> {
    return this.#runtime.run("listAssetState", async () =>
      this.#runtime.db.listAssetState(validateAssetStateFilter(filter)),
    );
  }

  async purgeExpired(now?: Date): Promise<TaskStateRow[]> {
    return this.#runtime.run("purgeExpired", async () => {
      const nowMs = now === undefined ? this.#runtime.nowMs("purgeExpired") : dateMs("now", now);
      return this.#runtime.db.purgeExpiredTaskState(nowMs);
    });
  }

  async close(): Promise<void> {
    await this.#runtime.close();
  }
}
