import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError, FlowstateError } from "@flowstate/shared-state";
import { wrapDriverError } from "../failures.js";
import { MetadataStateStore } from "../store.js";
import type { StateStore } from "../types.js";
import { sqliteAdvice } from "./advice.js";
import { SqliteStateClient } from "./client.js";
import { DEFAULT_BUSY_TIMEOUT_MS } from "./migrate.js";
import { SqliteDatabase } from "./sqlite-database.js";

/** Options of {@link openSqliteStateStore}. */
export interface OpenSqliteStateStoreOptions {
  /** SQLite file path; parent folders are created. Relative paths resolve from the working directory. */
  path: string;
  /** `[state_store] clear_on_success`: succeedTask also deletes the task's state rows. @default false */
  clearOnSuccess?: boolean;
  /** Clock, for tests of expiry. @default () => new Date() */
  now?: () => Date;
  /**
   * How long a write waits for another process's lock on the file before failing with a
   * `StateStoreError` (SQLite `busy_timeout`), in milliseconds. @default 5000
   */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating when missing) a SQLite metadata store. The file is put in WAL mode with a busy
 * timeout, so several worker processes can share it; opening the same file again, from this
 * process or another, is safe.
 * @throws `ConfigError` for bad options, `StateStoreError` when the file cannot be opened or is
 *   not a flowstate SQLite database.
 */
export async function openSqliteStateStore(options: OpenSqliteStateStoreOptions): Promise<StateStore> {
  const { path, clearOnSuccess, now, busyTimeoutMs } = checkOptions(options);
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (error) {
    throw wrapDriverError(
      "open",
      path,
      error,
      "Could not create the database file's folder; check the path and permissions.",
    );
  }
  const db = openDatabase(path, busyTimeoutMs);
  return new MetadataStateStore(db, { clearOnSuccess, now }, (runtime) => new SqliteStateClient(runtime, db));
}

function openDatabase(path: string, busyTimeoutMs: number): SqliteDatabase {
  try {
    return SqliteDatabase.open(path, busyTimeoutMs);
  } catch (error) {
    if (error instanceof FlowstateError) throw error;
    throw wrapDriverError("open", path, error, sqliteAdvice(error));
  }
}

function checkOptions(options: OpenSqliteStateStoreOptions): Required<OpenSqliteStateStoreOptions> {
  const {
    path,
    clearOnSuccess = false,
    now = () => new Date(),
    busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS,
  } = options ?? {};
  if (typeof path !== "string" || path.trim() === "" || path === ":memory:") {
    throw optionError(
      "path",
      "a SQLite file path (an in-memory database would lose state when the process ends)",
    );
  }
  if (typeof clearOnSuccess !== "boolean") throw optionError("clearOnSuccess", "a boolean");
  if (typeof now !== "function") throw optionError("now", "a function returning a Date");
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw optionError("busyTimeoutMs", "an integer number of milliseconds ≥ 0");
  }
  return { path: resolve(path), clearOnSuccess, now, busyTimeoutMs };
}

function optionError(option: string, expected: string): ConfigError {
  return new ConfigError(`Invalid openSqliteStateStore option \`${option}\`: expected ${expected}.`);
}
