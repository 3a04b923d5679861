import { ConfigError, FlowstateError } from "@flowstate/shared-state";
import { wrapDriverError } from "../failures.js";
import { MetadataStateStore } from "../store.js";
import type { StateStore } from "../types.js";
import { postgresAdvice } from "./advice.js";
import { PostgresDatabase } from "./postgres-database.js";
import { parsePostgresUrl } from "./url.js";

/** Connections the pool keeps at most. @see OpenPostgresStateStoreOptions.poolSize */
export const DEFAULT_POOL_SIZE = 10;
/** How long one statement may run. @see OpenPostgresStateStoreOptions.statementTimeoutMs */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
/** How long getting a connection may take. @see OpenPostgresStateStoreOptions.connectTimeoutMs */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Options of {@link openPostgresStateStore}. */
export interface OpenPostgresStateStoreOptions {
  /**
   * `postgresql://user:password@host:5432/database` (also `postgres://`,
   * `postgresql+psycopg2://`, `postgresql+psycopg://`). Never shown: `location` and messages
   * name only host, port and database.
   */
  url: string;
  /** Most connections the pool opens (`[database] sql_alchemy_pool_size`). @default 10 */
  poolSize?: number;
  /**
   * Longest a statement may run before the server cancels it (`statement_timeout`), in
   * milliseconds; `0` means no limit (`[database] statement_timeout_ms`). @default 30000
   */
  statementTimeoutMs?: number;
  /** Longest to wait for a connection (new, or free in the pool), in milliseconds. @default 10000 */
  connectTimeoutMs?: number;
  /** `[state_store] clear_on_success`: succeedTask also deletes the task's state rows. @default false */
  clearOnSuccess?: boolean;
  /** Clock, for tests of expiry. @default () => new Date() */
  now?: () => Date;
}

/**
 * Opens a PostgreSQL metadata store: a `pg` pool, and the schema migrated to this version
 * (concurrent openers of a fresh database wait on an advisory lock; each migration runs once).
 * The database must exist; the user needs CREATE on its schema the first time.
 * @throws `ConfigError` for bad options, `StateStoreError` when the server cannot be reached, the
 *   login is refused, or the database is not a flowstate database (or a newer one).
 */
export async function openPostgresStateStore(options: OpenPostgresStateStoreOptions): Promise<StateStore> {
  const checked = checkOptions(options);
  const { connectionString, location } = parsePostgresUrl(
    checked.url,
    "The openPostgresStateStore url option",
  );
  let db: PostgresDatabase;
  try {
    db = await PostgresDatabase.open({ ...checked, connectionString, location });
  } catch (error) {
    if (error instanceof FlowstateError) throw error;
    throw wrapDriverError("open", location, error, postgresAdvice(error));
  }
  return new MetadataStateStore(db, { clearOnSuccess: checked.clearOnSuccess, now: checked.now });
}

function checkOptions(options: OpenPostgresStateStoreOptions): Required<OpenPostgresStateStoreOptions> {
  const {
    url,
    poolSize = DEFAULT_POOL_SIZE,
    statementTimeoutMs = DEFAULT_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
    clearOnSuccess = false,
    now = () => new Date(),
  } = options ?? {};
  if (typeof url !== "string" || url.trim() === "") throw optionError("url", "a postgresql:// URL");
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw optionError("poolSize", "an integer ≥ 1");
  for (const [name, value] of [
    ["statementTimeoutMs", statementTimeoutMs],
    ["connectTimeoutMs", connectTimeoutMs],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw optionError(name, "an integer number of milliseconds ≥ 0 (0: no limit)");
    }
  }
  if (typeof clearOnSuccess !== "boolean") throw optionError("clearOnSuccess", "a boolean");
  if (typeof now !== "function") throw optionError("now", "a function returning a Date");
  return { url, poolSize, statementTimeoutMs, connectTimeoutMs, clearOnSuccess, now };
}

function optionError(option: string, expected: string): ConfigError {
  return new ConfigError(`Invalid openPostgresStateStore option \`${option}\`: expected ${expected}.`);
}
