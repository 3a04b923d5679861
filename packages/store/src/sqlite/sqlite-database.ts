import type { RemovedAssetState, RemovedTaskState, StoredState } from "@flowstate/shared-state";
import Database from "better-sqlite3";
import type {
  AssetIdentity,
  AssetLookup,
  OfTaskInstance,
  StoreDatabase,
  TaskKey,
  TaskStateWrite,
} from "../database.js";
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
import { REPLACED_ROW_FUNCTION, SQL, type StatementName } from "./statements.js";

/**
 * The SQLite dialect over better-sqlite3. better-sqlite3 is synchronous; the methods are async
 * only to share {@link StoreDatabase} with networked dialects.
 */
export class SqliteDatabase implements StoreDatabase {
  readonly location: string;
  readonly schemaVersion: StoreSchemaVersion;
  readonly #db: Database.Database;
  readonly #statements = new Map<StatementName, Database.Statement>();
  // The hot statements of the embedded client, prepared once at open.
  readonly #selectOfInstance: Database.Statement;
  readonly #upsertOfInstance: Database.Statement;
  // The row the running upsert replaced, as REPLACED_ROW_FUNCTION reported it. better-sqlite3 is
  // synchronous: nothing else runs on this connection between the upsert and reading this.
  #replaced: StoredState | undefined;

  private constructor(db: Database.Database, location: string, schemaVersion: StoreSchemaVersion) {
    this.#db = db;
    this.location = location;
    this.schemaVersion = schemaVersion;
    // directOnly: not callable from triggers or views another program might put in the file.
    db.function(
      REPLACED_ROW_FUNCTION,
      { deterministic: false, directOnly: true },
      (value: unknown, backend: unknown, passThrough: unknown) => {
        this.#replaced = { value: value as string, backend: backend as string | null };
        return passThrough;
      },
    );
    this.#selectOfInstance = db.prepare(SQL.selectTaskStateOfInstance);
    this.#upsertOfInstance = db.prepare(SQL.upsertTaskStateOfInstance);
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
    try {
      return new SqliteDatabase(db, path, { atOpen, current: LATEST_SCHEMA_VERSION });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async readTaskStateOfInstance(tiId: string, key: string, nowMs: number): Promise<OfTaskInstance> {
    return this.readTaskStateOfInstanceSync(tiId, key, nowMs);
  }

  /**
   * {@link readTaskStateOfInstance} without a promise, for the embedded client (better-sqlite3
   * is synchronous): the unexpired row, the task instance checked in the same statement.
   */
  readTaskStateOfInstanceSync(tiId: string, key: string, nowMs: number): OfTaskInstance {
    const row = this.#selectOfInstance.get(key, nowMs, tiId) as
      | { value: string | null; backend: string | null }
      | undefined;
    if (row === undefined) return { found: false };
    return { found: true, row: row.value === null ? undefined : (row as StoredState) };
  }

  async writeTaskStateOfInstance(
    tiId: string,
    key: string,
    row: TaskStateWrite,
    nowMs: number,
  ): Promise<OfTaskInstance> {
    return this.writeTaskStateOfInstanceSync(tiId, key, row, nowMs);
  }

  /**
   * {@link writeTaskStateOfInstance} without a promise: upserts the row and answers with the
   * row it replaced (expired or not), in ONE statement that also checks that the task instance
   * exists, so it is atomic across processes as any single statement is.
   */
  writeTaskStateOfInstanceSync(
    tiId: string,
    key: string,
    row: TaskStateWrite,
    nowMs: number,
  ): OfTaskInstance {
    const { value, backend, expiresAtMs } = row;
    const written = this.#withReplaced(
      () => this.#upsertOfInstance.run(key, value, backend, expiresAtMs, nowMs, tiId).changes === 1,
    );
    return written.done ? { found: true, row: written.replaced } : { found: false };
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
    const { value, backend, expiresAtMs } = row;
    const params = { ...taskParams(task), key, value, backend, expiresAtMs, nowMs };
    return this.#withReplaced(() => this.#statement("upsertTaskState").run(params)).replaced;
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
    const params = { assetId, key, value: row.value, backend: row.backend, nowMs };
    return this.#withReplaced(() => this.#statement("upsertAssetState").run(params)).replaced;
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

  /** Runs one upsert and takes the row it replaced (`undefined` when it inserted one). */
  #withReplaced<T>(upsert: () => T): { done: T; replaced: StoredState | undefined } {
    this.#replaced = undefined;
    try {
      const done = upsert();
      return { done, replaced: this.#lastReplaced() };
    } finally {
      this.#replaced = undefined; // do not keep a large value alive
    }
  }

  #lastReplaced(): StoredState | undefined {
    return this.#replaced;
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
