import {
  FlowstateError,
  type SetTaskStateOptions,
  type StoredState,
  validateStateKey,
  validateStateValue,
} from "@flowstate/shared-state";
import { backendOf, EmbeddedStateClient } from "../client.js";
import type { OfTaskInstance } from "../database.js";
import { wrapDriverError } from "../failures.js";
import type { StoreRuntime } from "../runtime.js";
import { expiresAtMs, validateTaskInstanceId } from "../validate.js";
import type { SqliteDatabase } from "./sqlite-database.js";

/**
 * The embedded client over SQLite, with the hot calls (`getTaskState`, `setTaskState`) answered
 * synchronously: better-sqlite3 does not yield, so the checks and the one statement run in the
 * caller's turn and the answer is an already settled promise, without the async hops of the
 * shared path. The checks and errors are the shared path's: a closed store and an unknown task
 * instance go through it, so they read the same.
 */
export class SqliteStateClient extends EmbeddedStateClient {
  readonly #runtime: StoreRuntime;
  readonly #db: SqliteDatabase;

  constructor(runtime: StoreRuntime, db: SqliteDatabase) {
    super(runtime);
    this.#runtime = runtime;
    this.#db = db;
  }

  override getTaskState(tiId: string, key: string): Promise<StoredState | undefined> {
    if (this.#runtime.closed) return super.getTaskState(tiId, key);
    let read: OfTaskInstance;
    try {
      validateStateKey(key);
      validateTaskInstanceId(tiId);
      read = this.#db.readTaskStateOfInstanceSync(tiId, key, this.#runtime.nowMs("getTaskState"));
    } catch (error) {
      return Promise.reject(this.#wrap("getTaskState", error));
    }
    // No such task instance: the shared path looks again and words the error.
    return read.found ? Promise.resolve(read.row) : super.getTaskState(tiId, key);
  }

  override setTaskState(
    tiId: string,
    key: string,
    value: string,
    options: SetTaskStateOptions,
  ): Promise<StoredState | undefined> {
    if (this.#runtime.closed) return super.setTaskState(tiId, key, value, options);
    let written: OfTaskInstance;
    try {
      validateStateKey(key);
      validateStateValue(value, key);
      const row = { value, backend: backendOf(options), expiresAtMs: expiresAtMs(options) };
      validateTaskInstanceId(tiId);
      written = this.#db.writeTaskStateOfInstanceSync(tiId, key, row, this.#runtime.nowMs("setTaskState"));
    } catch (error) {
      return Promise.reject(this.#wrap("setTaskState", error));
    }
    // Nothing was written: the shared path looks again and words the error.
    return written.found ? Promise.resolve(written.row) : super.setTaskState(tiId, key, value, options);
  }

  // What StoreRuntime.run does with a failure: flowstate's own errors pass, driver errors are wrapped.
  #wrap(operation: string, error: unknown): unknown {
    if (error instanceof FlowstateError) return error;
    return wrapDriverError(operation, this.#db.location, error, this.#db.adviceFor(error));
  }
}
