import { isAbsolute, resolve } from "node:path";
import { ConfigError, type ConfigReader } from "@flowstate/shared-state";
import { DEFAULT_POOL_SIZE, DEFAULT_STATEMENT_TIMEOUT_MS, openPostgresStateStore } from "./postgres/open.js";
import { isPostgresScheme, POSTGRES_SCHEMES, parsePostgresUrl } from "./postgres/url.js";
import { openSqliteStateStore } from "./sqlite/open.js";
import type { StateStore } from "./types.js";

const SECTION = "database";
const KEY = "sql_alchemy_conn";
/** Airflow's default: `airflow.db` in AIRFLOW_HOME (for us, the config file's folder). */
const DEFAULT_URL = "sqlite:///airflow.db";
const EXAMPLE =
  "sqlite:////absolute/path/airflow.db (or sqlite:///airflow.db, relative to the config file's folder), " +
  "or postgresql://user:password@host:5432/database";
const POOL_SIZE_KEY = "sql_alchemy_pool_size";
const STATEMENT_TIMEOUT_KEY = "statement_timeout_ms";

/**
 * Opens the store named by the config: `[database] sql_alchemy_conn` (Airflow's key;
 * `sqlite:////abs/path.db`, `sqlite:///relative.db` relative to `conf.baseDir`; unset means
 * `sqlite:///airflow.db`; or a PostgreSQL URL: `postgresql://`, `postgres://`,
 * `postgresql+psycopg2://`, `postgresql+psycopg://`), for PostgreSQL `[database]
 * sql_alchemy_pool_size` (default 10) and `[database] statement_timeout_ms` (default 30000), and
 * `[state_store] clear_on_success` (default false).
 * @throws `ConfigError` for a URL that is neither a SQLite file URL nor a PostgreSQL URL, or a bad number.
 */
export async function openStateStore(conf: ConfigReader): Promise<StateStore> {
  const url = conf.get(SECTION, KEY, { fallback: DEFAULT_URL });
  const clearOnSuccess = conf.getBoolean("state_store", "clear_on_success", { fallback: false });
  if (isPostgresScheme(schemeOf(url))) {
    parsePostgresUrl(url, `[${SECTION}] ${KEY}`, { section: SECTION, key: KEY }); // a ConfigError naming the key
    return openPostgresStateStore({
      url,
      poolSize: integerOption(conf, POOL_SIZE_KEY, DEFAULT_POOL_SIZE, 1),
      statementTimeoutMs: integerOption(conf, STATEMENT_TIMEOUT_KEY, DEFAULT_STATEMENT_TIMEOUT_MS, 0),
      clearOnSuccess,
    });
  }
  const path = sqlitePathFromUrl(url, conf.baseDir);
  return openSqliteStateStore({ path, clearOnSuccess });
}

function schemeOf(url: string): string {
  return (/^([a-z][a-z0-9+.-]*):\/\//i.exec(url.trim())?.[1] ?? "").toLowerCase();
}

function integerOption(conf: ConfigReader, key: string, fallback: number, min: number): number {
  const value = conf.getInt(SECTION, key, { fallback });
  if (Number.isSafeInteger(value) && value >= min) return value;
  throw new ConfigError(`[${SECTION}] ${key} must be an integer ≥ ${min}, got ${String(value)}.`, {
    section: SECTION,
    key,
    value: String(value),
  });
}

/** The file a SQLAlchemy-style SQLite URL names, resolved against `baseDir` when relative. */
function sqlitePathFromUrl(url: string, baseDir: string): string {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is.exec(url.trim());
  if (!match) throw urlError(`is not a database URL. Set it to ${EXAMPLE}.`, url);
  const scheme = (match[1] ?? "").toLowerCase();
  if (scheme !== "sqlite" && !scheme.startsWith("sqlite+")) {
    // Other URLs may carry passwords: name only the scheme, never echo the value.
    throw urlError(
      `uses '${scheme}', but only sqlite and PostgreSQL (${POSTGRES_SCHEMES.join(", ")}) are supported. Set it to ${EXAMPLE}.`,
    );
  }
  const file = sqliteFile(match[2] ?? "", url);
  return isAbsolute(file) ? file : resolve(baseDir, file);
}

// What follows `sqlite://`: an empty host, then the file (`/rel.db` or `//abs.db`).
function sqliteFile(afterScheme: string, url: string): string {
  const problem = sqliteFileProblem(afterScheme);
  if (problem) throw urlError(`${problem}. Set it to ${EXAMPLE}.`, url);
  return afterScheme.slice(1);
}

function sqliteFileProblem(afterScheme: string): string | undefined {
  const file = afterScheme.slice(1);
  if (afterScheme === "" || file === ":memory:") {
    return "is an in-memory database, which would lose state when the process ends";
  }
  if (!afterScheme.startsWith("/")) return "names a host; a SQLite URL has none";
  if (file === "") return "names no file";
  if (file.includes("?")) return "has query parameters, which are not supported";
  return undefined;
}

function urlError(problem: string, value?: string): ConfigError {
  return new ConfigError(`[${SECTION}] ${KEY} ${problem}`, { section: SECTION, key: KEY, value });
}
