import type { RemovedAssetState, RemovedTaskState, StoredState } from "@flowstate/shared-state";
import pg from "pg";
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
import { postgresAdvice } from "./advice.js";
import { migrate } from "./migrate.js";
import { LATEST_SCHEMA_VERSION } from "./schema.js";
import { SQL, type StatementName } from "./statements.js";
import { inTransaction } from "./transaction.js";
import { WriteBatcher } from "./write-batcher.js";

/** How many expired rows one purge statement deletes; the purge loops until none are left. */
export const PURGE_BATCH_SIZE = 1000;
/**
 * How often a write runs its upsert again when another writer inserted the same key after the
 * statement's snapshot. Each retry means a concurrent writer made progress.
 */
const MAX_UPSERT_ATTEMPTS = 50;
const BIGINT_OID = 20;
/**
 * Write batches running at once (each on its own pooled connection). Two keep the database busy
 * while one batch's commit is flushed; more would only make batches smaller.
 */
export const MAX_WRITE_BATCHES_IN_FLIGHT = 2;
/** SQLSTATE of a transaction the server rolled back to break a deadlock. */
const DEADLOCK_DETECTED = "40P01";
/** Tries of a transaction that keeps being a deadlock's victim. */
const MAX_TRANSACTION_ATTEMPTS = 3;
/** Writes in one batch at most: a batch is one statement under the statement timeout. */
export const MAX_WRITE_BATCH = 64;

/** How to reach the server. */
export interface PostgresConnectOptions {
  /** The URL handed to `pg` (holds the password: never shown). */
  connectionString: string;
  /** The URL without credentials, for messages. */
  location: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
}

/** One task state write by task instance id, as queued for a batch. */
interface TaskStateOfInstanceWrite extends TaskStateWrite {
  tiId: string;
  key: string;
  nowMs: number;
}

type Queryable = pg.Pool | pg.PoolClient;
type Params = Record<string, unknown>;
/** The answer row of a single-statement upsert. */
interface UpsertAnswer {
  outcome: "replaced" | "inserted" | "missing";
  value: string | null;
  backend: string | null;
}

// Epoch milliseconds (BIGINT) come back as numbers: they are far below 2^53.
const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === BIGINT_OID && format !== "binary"
      ? (text: string) => Number(text)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * The PostgreSQL dialect over a `pg` pool. A state write is one statement in autocommit (READ
 * COMMITTED) that locks the row it replaces (`SELECT … FOR UPDATE` in a CTE) before changing it,
 * so concurrent writers of one key each get back exactly the version they replaced; a task
 * state read or write by task instance id checks the task instance in the same statement.
 * Deletes use `DELETE … RETURNING`. Statements are named, so each connection prepares them once.
 */
export class PostgresDatabase implements StoreDatabase {
  readonly location: string;
  readonly schemaVersion: StoreSchemaVersion;
  readonly #pool: pg.Pool;
  readonly #taskStateWrites = new WriteBatcher<TaskStateOfInstanceWrite, OfTaskInstance>({
    maxInFlight: MAX_WRITE_BATCHES_IN_FLIGHT,
    maxBatch: MAX_WRITE_BATCH,
    runOne: (write) => this.#writeTaskStateOfInstance(write),
    runBatch: (writes) => this.#writeTaskStatesOfInstances(writes),
  });

  private constructor(pool: pg.Pool, location: string, schemaVersion: StoreSchemaVersion) {
    this.#pool = pool;
    this.location = location;
    this.schemaVersion = schemaVersion;
  }

  /** Connects, migrates the schema, and keeps the pool. Throws the driver's error, or a `StateStoreError`. */
  static async open(options: PostgresConnectOptions): Promise<PostgresDatabase> {
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize,
      statement_timeout: options.statementTimeoutMs,
      connectionTimeoutMillis: options.connectTimeoutMs,
      keepAlive: true,
      application_name: "flowstate",
      types: TYPES,
    });
    // An idle connection the server closes (restart, admin shutdown) is dropped by the pool; the
    // next query connects anew and reports its own error. Without a listener it would crash the process.
    pool.on("error", () => {});
    let atOpen: number;
    try {
      atOpen = await migrate(pool, options.location);
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
    return new PostgresDatabase(pool, options.location, { atOpen, current: LATEST_SCHEMA_VERSION });
  }

  async insertTaskInstance(record: TaskInstanceRecord, nowMs: number): Promise<boolean> {
    return (await this.#query(this.#pool, "insertTaskInstance", { ...record, nowMs })).rowCount === 1;
  }

  async findTaskInstance(id: string): Promise<TaskInstanceRecord | undefined> {
    return (await this.#rows<TaskInstanceRecord>(this.#pool, "selectTaskInstance", { id }))[0];
  }

  async listTaskInstances(filter: TaskStateFilter): Promise<TaskInstanceRecord[]> {
    return this.#rows<TaskInstanceRecord>(this.#pool, "listTaskInstances", taskFilterParams(filter));
  }

  async finishTaskInstance(
    id: string,
    state: TaskInstanceState,
    clearState: boolean,
    nowMs: number,
  ): Promise<RemovedTaskState[] | undefined> {
    return this.#transaction(async (client) => {
      const updated = await this.#query(client, "updateTaskInstanceState", { id, state, nowMs });
      if (updated.rowCount !== 1) return undefined;
      return clearState ? this.#rows<RemovedTaskState>(client, "deleteTaskStateOfInstance", { id }) : [];
    });
  }

  async readTaskState(task: TaskKey, key: string, nowMs: number): Promise<StoredState | undefined> {
    return (
      await this.#rows<StoredState>(this.#pool, "selectTaskState", { ...taskParams(task), key, nowMs })
    )[0];
  }

  async writeTaskState(
    task: TaskKey,
    key: string,
    row: TaskStateWrite,
    nowMs: number,
  ): Promise<StoredState | undefined> {
    const { value, backend, expiresAtMs } = row;
    const written = await this.#replacingUpsert("writeTaskState", {
      ...taskParams(task),
      key,
      value,
      backend,
      expiresAtMs,
      nowMs,
    });
    return written.found ? written.row : undefined; // the task is given: always found
  }

  async readTaskStateOfInstance(tiId: string, key: string, nowMs: number): Promise<OfTaskInstance> {
    const [row] = await this.#rows<{ value: string | null; backend: string | null }>(
      this.#pool,
      "selectTaskStateOfInstance",
      { tiId, key, nowMs },
    );
    if (!row) return { found: false };
    return { found: true, row: row.value === null ? undefined : { value: row.value, backend: row.backend } };
  }

  /**
   * Concurrent calls are batched (see {@link WriteBatcher}): those that arrive while
   * {@link MAX_WRITE_BATCHES_IN_FLIGHT} batches run go together, as one statement and one commit.
   */
  writeTaskStateOfInstance(
    tiId: string,
    key: string,
    row: TaskStateWrite,
    nowMs: number,
  ): Promise<OfTaskInstance> {
    return this.#taskStateWrites.submit({
      tiId,
      key,
      value: row.value,
      backend: row.backend,
      expiresAtMs: row.expiresAtMs,
      nowMs,
    });
  }

  async #writeTaskStateOfInstance(write: TaskStateOfInstanceWrite): Promise<OfTaskInstance> {
    return this.#replacingUpsert("writeTaskStateOfInstance", { ...write });
  }

  /** Several writes in one statement; a write it answers nothing for is left to run alone. */
  async #writeTaskStatesOfInstances(
    writes: readonly TaskStateOfInstanceWrite[],
  ): Promise<Array<OfTaskInstance | undefined>> {
    const answers = await this.#rows<UpsertAnswer & { ord: number }>(
      this.#pool,
      "writeTaskStatesOfInstances",
      {
        tiIds: writes.map((write) => write.tiId),
        keys: writes.map((write) => write.key),
        values: writes.map((write) => Buffer.from(write.value, "utf8")),
        backends: writes.map((write) => write.backend),
        expiresAtMs: writes.map((write) => write.expiresAtMs),
        nowMs: writes.map((write) => write.nowMs),
      },
    );
    const results = new Array<OfTaskInstance | undefined>(writes.length);
    for (const answer of answers) results[Number(answer.ord) - 1] = upsertOutcome(answer);
    return results;
  }

  async deleteTaskState(task: TaskKey, key: string): Promise<StoredState | undefined> {
    return (await this.#rows<StoredState>(this.#pool, "deleteTaskStateKey", { ...taskParams(task), key }))[0];
  }

  async clearTaskState(task: TaskKey, allMapIndices: boolean): Promise<RemovedTaskState[]> {
    const statement = allMapIndices ? "clearTaskStateOfAllMapIndices" : "clearTaskStateOfMapIndex";
    return this.#rows<RemovedTaskState>(this.#pool, statement, { ...taskParams(task) });
  }

  async listTaskState(filter: TaskStateFilter): Promise<TaskStateRow[]> {
    return (await this.#rows<TaskStateRecord>(this.#pool, "listTaskState", taskFilterParams(filter))).map(
      taskStateRow,
    );
  }

  /**
   * Deletes expired rows {@link PURGE_BATCH_SIZE} at a time (each statement short, under the
   * statement timeout), all in one transaction: a purge that fails has removed nothing, so no
   * removed row goes unreported.
   */
  async purgeExpiredTaskState(nowMs: number): Promise<TaskStateRow[]> {
    return this.#transaction(async (client) => {
      const removed: TaskStateRecord[] = [];
      for (;;) {
        const batch = await this.#rows<TaskStateRecord>(client, "purgeExpiredTaskStateBatch", {
          nowMs,
          batchSize: PURGE_BATCH_SIZE,
        });
        removed.push(...batch);
        if (batch.length < PURGE_BATCH_SIZE) return removed.map(taskStateRow);
      }
    });
  }

  async upsertAsset(name: string, uri: string): Promise<string | undefined> {
    // Two statements, no transaction: a concurrent registration of the uri under another name
    // makes the upsert fail on the uri's unique index (23505); the owner is read again then.
    for (let attempt = 0; ; attempt++) {
      const [owner] = await this.#rows<AssetIdentity>(this.#pool, "selectAssetByUri", { uri });
      if (owner && owner.name !== name) return owner.name;
      try {
        await this.#query(this.#pool, "upsertAsset", { name, uri });
        return undefined;
      } catch (error) {
        if ((error as { code?: unknown }).code !== "23505" || attempt >= 3) throw error;
      }
    }
  }

  async findActiveAsset(lookup: AssetLookup): Promise<AssetIdentity | undefined> {
    const statement = lookup.column === "name" ? "selectActiveAssetByName" : "selectActiveAssetByUri";
    return (await this.#rows<AssetIdentity>(this.#pool, statement, { lookup: lookup.value }))[0];
  }

  async readAssetState(assetId: number, key: string): Promise<StoredState | undefined> {
    return (await this.#rows<StoredState>(this.#pool, "selectAssetState", { assetId, key }))[0];
  }

  async writeAssetState(
    assetId: number,
    key: string,
    row: StoredState,
    nowMs: number,
  ): Promise<StoredState | undefined> {
    const params = { assetId, key, value: row.value, backend: row.backend, nowMs };
    const written = await this.#replacingUpsert("writeAssetState", params);
    return written.found ? written.row : undefined;
  }

  async deleteAssetState(assetId: number, key: string): Promise<StoredState | undefined> {
    return (await this.#rows<StoredState>(this.#pool, "deleteAssetStateKey", { assetId, key }))[0];
  }

  async clearAssetState(assetId: number): Promise<RemovedAssetState[]> {
    return this.#rows<RemovedAssetState>(this.#pool, "clearAssetState", { assetId });
  }

  async listAssetState(filter: AssetStateFilter): Promise<AssetStateRow[]> {
    return (await this.#rows<AssetStateRecord>(this.#pool, "listAssetState", assetFilterParams(filter))).map(
      assetStateRow,
    );
  }

  adviceFor(error: unknown): string | undefined {
    return postgresAdvice(error);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  /**
   * Runs one of the single-statement upserts of `statements.ts` (see `replacingUpsert` there):
   * one round trip in autocommit, which locks and answers exactly the row it replaced. It answers
   * no row only when a concurrent writer created the key after the statement's snapshot; it then
   * runs again, and sees that row. Each retry means a concurrent writer made progress.
   */
  async #replacingUpsert(statement: StatementName, params: Params): Promise<OfTaskInstance> {
    for (let attempt = 0; attempt < MAX_UPSERT_ATTEMPTS; attempt++) {
      const [answer] = await this.#rows<UpsertAnswer>(this.#pool, statement, params);
      if (answer) return upsertOutcome(answer);
    }
    throw new Error(
      `the key was inserted and deleted by other writers ${MAX_UPSERT_ATTEMPTS} times while this write ran. Retry`,
    );
  }

  /**
   * Runs `work` in a transaction, again when the server chose it as a deadlock's victim (40P01),
   * which undid all of it. Write batches lock rows in key order, the purge in the order it finds
   * expired rows: the two can meet in a circle, and the server then breaks it.
   */
  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(this.#pool, work);
      } catch (error) {
        if ((error as { code?: unknown }).code !== DEADLOCK_DETECTED || attempt >= MAX_TRANSACTION_ATTEMPTS) {
          throw error;
        }
      }
    }
  }

  async #query(client: Queryable, name: StatementName, params: Params): Promise<pg.QueryResult> {
    const statement = SQL[name];
    const values = statement.params.map((param) => toParameter(param, params[param]));
    // Named: prepared once per pooled connection, then only bound and executed.
    return client.query({ name: statement.name, text: statement.text, values });
  }

  async #rows<T>(client: Queryable, name: StatementName, params: Params): Promise<T[]> {
    return (await this.#query(client, name, params)).rows.map(fromRow) as T[];
  }
}

/** An upsert's answer row: whether the row's owner (task instance, task, asset) exists, and the row it replaced. */
function upsertOutcome(answer: UpsertAnswer): OfTaskInstance {
  if (answer.outcome === "missing") return { found: false };
  if (answer.outcome === "inserted") return { found: true, row: undefined };
  return { found: true, row: { value: answer.value as string, backend: answer.backend } };
}

// `value` is BYTEA: UTF-8 in, UTF-8 out.
function toParameter(name: string, value: unknown): unknown {
  if (value === undefined) throw new Error(`missing statement parameter @${name}`);
  return name === "value" && typeof value === "string" ? Buffer.from(value, "utf8") : value;
}

function fromRow(row: Record<string, unknown>): Record<string, unknown> {
  return Buffer.isBuffer(row.value) ? { ...row, value: row.value.toString("utf8") } : row;
}
