import type { RemovedAssetState, RemovedTaskState, StoredState } from "@flowstate/shared-state";
import Database from "better-sqlite3";
import type { AssetIdentity, AssetLookup, StoreDatabase, TaskKey, TaskStateWrite } from "../database.js";
import {
  type AssetStateRecord,
  assetFilterParams,
  assetStateRow,
  type TaskStateRecord,
  taskFilterParams,
  taskParams,
  taskStateRow,
} from "../rows.js";
import type {
  AssetStateFilter,
  AssetStateRow,
  StoreSchemaVersion,
  TaskInstanceRecord,
  TaskInstanceState,
  TaskStateFilter,
  TaskStateRow,
} from "../types.js";
import { sqliteAdvice } from "./advice.js";
import { configureConnection, migrate } from "./migrate.js";
import { LATEST_SCHEMA_VERSION } from "./schema.js";
import { SQL, type StatementName } from "./statements.js";

/**
 * The SQLite dialect over better-sqlite3. better-sqlite3 is synchronous; the methods are async
 * only to share {@link StoreDatabase} with networked dialects.
 */
export class SqliteDatabase implements StoreDatabase {
  readonly location: string;
  readonly schemaVersion: StoreSchemaVersion;
  readonly #db: Database.Database;
  readonly #statements = new Map<StatementName, Database.Statement>();

  private constructor(db: Database.Database, location: string, schemaVersion: StoreSchemaVersion) {
    this.#db = db;
    this.location = location;
    this.schemaVersion = schemaVersion;
  }

  /**
   * Opens `path` (creating the file when missing), switches it to WAL and migrates the schema.
   * Throws the driver's error, or a `StateStoreError` for a schema it must not touch.
   */
  static open(path: string, busyTimeoutMs: number): SqliteDatabase {
    const db = new Database(path, { timeout: busyTimeoutMs });
    let atOpen: number;
    try {
      configureConnection(db, busyTimeoutMs);
      atOpen = migrate(db, path);
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteDatabase(db, path, { atOpen, current: LATEST_SCHEMA_VERSION });
  }

  async insertTaskInstance(record: TaskInstanceRecord, nowMs: number): Promise<boolean> {
    return this.#statement("insertTaskInstance").run({ ...record, nowMs }).changes === 1;
  }

  async findTaskInstance(id: string): Promise<TaskInstanceRecord | undefined> {
    return this.#statement("selectTaskInstance").get(id) as TaskInstanceRecord | undefined;
  }

  async listTaskInstances(filter: TaskStateFilter): Promise<TaskInstanceRecord[]> {
    return this.#statement("listTaskInstances").all(taskFilterParams(filter)) as TaskInstanceRecord[];
  }

  async finishTaskInstance(
    id: string,
    state: TaskInstanceState,
    clearState: boolean,
    nowMs: number,
  ): Promise<RemovedTaskState[] | undefined> {
    return this.#db.transaction(() => {
      const updated = this.#statement("updateTaskInstanceState").run({ id, state, nowMs }).changes === 1;
      if (!updated) return undefined;
      return clearState ? (this.#statement("deleteTaskStateOfInstance").all(id) as RemovedTaskState[]) : [];
    })();
  }

  async readTaskState(task: TaskKey, key: string, nowMs: number): Promise<StoredState | undefined> {
    return this.#statement("selectTaskState").get({ ...taskParams(task), key, nowMs }) as
      | StoredState
      | undefined;
  }

  async writeTaskState(
    task: TaskKey,
    key: string,
    row: TaskStateWrite,
    nowMs: number,
  ): Promise<StoredState | undefined> {
    const params = { ...taskParams(task), key };
    // One transaction: the replaced row is exactly the one this upsert overwrote.
    return this.#db
      .transaction(() => {
        const replaced = this.#statement("selectReplacedTaskState").get(params) as StoredState | undefined;
        const { value, backend, expiresAtMs } = row;
        this.#statement("upsertTaskState").run({ ...params, value, backend, expiresAtMs, nowMs });
        return replaced;
      })
      .immediate();
  }

  async deleteTaskState(task: TaskKey, key: string): Promise<StoredState | undefined> {
    return this.#statement("deleteTaskStateKey").get({ ...taskParams(task), key }) as StoredState | undefined;
  }

  async clearTaskState(task: TaskKey, allMapIndices: boolean): Promise<RemovedTaskState[]> {
    const params = taskParams(task);
    if (allMapIndices) {
      const { mapIndex: _unused, ...taskOnly } = params;
      return this.#statement("clearTaskStateOfAllMapIndices").all(taskOnly) as RemovedTaskState[];
    }
    return this.#statement("clearTaskStateOfMapIndex").all(params) as RemovedTaskState[];
  }

  async listTaskState(filter: TaskStateFilter): Promise<TaskStateRow[]> {
    const rows = this.#statement("listTaskState").all(taskFilterParams(filter)) as TaskStateRecord[];
    return rows.map(taskStateRow);
  }

  async purgeExpiredTaskState(nowMs: number): Promise<TaskStateRow[]> {
    return (this.#statement("purgeExpiredTaskState").all(nowMs) as TaskStateRecord[]).map(taskStateRow);
  }

  async upsertAsset(name: string, uri: string): Promise<string | undefined> {
    return this.#db.transaction(() => {
      const owner = this.#statement("selectAssetByUri").get(uri) as AssetIdentity | undefined;
      if (owner && owner.name !== name) return owner.name;
      this.#statement("upsertAsset").run({ name, uri });
      return undefined;
    })();
  }

  async findActiveAsset(lookup: AssetLookup): Promise<AssetIdentity | undefined> {
    const statement = lookup.column === "name" ? "selectActiveAssetByName" : "selectActiveAssetByUri";
    return this.#statement(statement).get(lookup.value) as AssetIdentity | undefined;
  }

  async readAssetState(assetId: number, key: string): Promise<StoredState | undefined> {
    return this.#statement("selectAssetState").get(assetId, key) as StoredState | undefined;
  }

  async writeAssetState(
    assetId: number,
    key: string,
    row: StoredState,
    nowMs: number,
  ): Promise<StoredState | undefined> {
    return this.#db
      .transaction(() => {
        const replaced = this.#statement("selectAssetState").get(assetId, key) as StoredState | undefined;
        this.#statement("upsertAssetState").run({
          assetId,
          key,
          value: row.value,
          backend: row.backend,
          nowMs,
        });
        return replaced;
      })
      .immediate();
  }

  async deleteAssetState(assetId: number, key: string): Promise<StoredState | undefined> {
    return this.#statement("deleteAssetStateKey").get(assetId, key) as StoredState | undefined;
  }

  async clearAssetState(assetId: number): Promise<RemovedAssetState[]> {
    return this.#statement("clearAssetState").all(assetId) as RemovedAssetState[];
  }

  async listAssetState(filter: AssetStateFilter): Promise<AssetStateRow[]> {
    const rows = this.#statement("listAssetState").all(assetFilterParams(filter)) as AssetStateRecord[];
    return rows.map(assetStateRow);
  }

  adviceFor(error: unknown): string | undefined {
    return sqliteAdvice(error);
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  // Prepared once per connection, on first use.
  #statement(name: StatementName): Database.Statement {
    let statement = this.#statements.get(name);
    if (!statement) {
      statement = this.#db.prepare(SQL[name]);
      this.#statements.set(name, statement);
    }
    return statement;
  }
}
