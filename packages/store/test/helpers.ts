import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, type ConfigReader, type StoredState } from "@flowstate/shared-state";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, afterEach, inject } from "vitest";
import {
  type OpenPostgresStateStoreOptions,
  type OpenSqliteStateStoreOptions,
  openPostgresStateStore,
  openSqliteStateStore,
  type StateStore,
} from "../src/index.js";

/** The dialects every dialect-independent test runs on. */
export const DIALECTS = ["sqlite", "postgresql"] as const;
export type Dialect = (typeof DIALECTS)[number];

/** A clock the test moves by hand. */
export interface TestClock {
  now: () => Date;
  set(iso: string): void;
}

/** A clock starting at `iso`. */
export function testClock(iso = "2030-01-01T00:00:00.000Z"): TestClock {
  let current = new Date(iso);
  return {
    now: () => current,
    set: (next) => {
      current = new Date(next);
    },
  };
}

const openStores: StateStore[] = [];
const tempDirs: string[] = [];
/** PostgreSQL stores: the URL of their database, for raw connections. */
const postgresUrls = new WeakMap<StateStore, string>();

afterEach(async () => {
  await Promise.all(openStores.splice(0).map((store) => store.close()));
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh temp folder, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "flowstate-store-"));
  tempDirs.push(dir);
  return dir;
}

/** What the dialect-independent tests may set on a store. */
export interface TestStoreOptions {
  clearOnSuccess?: boolean;
  now?: () => Date;
}

/** Opens a store (closed after the test) on a fresh, empty database of `dialect`. */
export async function openTestStore(dialect: Dialect, options: TestStoreOptions = {}): Promise<StateStore> {
  return dialect === "sqlite" ? openSqliteTestStore(options) : openPostgresTestStore(options);
}

/** Opens a SQLite store (closed after the test) on `path`, or on a new file in a temp folder. */
export async function openSqliteTestStore(
  options: Partial<OpenSqliteStateStoreOptions> = {},
): Promise<StateStore> {
  const path = options.path ?? join(await tempDir(), "metadata.db");
  const store = await openSqliteStateStore({ ...options, path });
  openStores.push(store);
  return store;
}

/** Opens a PostgreSQL store (closed after the test) on `url`, or on a new schema of its own. */
export async function openPostgresTestStore(
  options: Partial<OpenPostgresStateStoreOptions> = {},
): Promise<StateStore> {
  const url = options.url ?? (await freshPostgresSchema());
  const store = await openPostgresStateStore({ ...options, url });
  openStores.push(store);
  postgresUrls.set(store, url);
  return store;
}

let admin: pg.Pool | undefined;
/** The database this test file's schemas live in, and a connection to it. */
let fileDatabase: Promise<{ url: string; pool: pg.Pool }> | undefined;
afterAll(async () => {
  await (await fileDatabase)?.pool.end();
  fileDatabase = undefined;
  await admin?.end();
  admin = undefined;
});

/** The superuser URL of the run's PostgreSQL (see global-setup.ts). */
export function postgresServerUrl(): string {
  return inject("postgresUrl");
}

/** A new empty database on the run's PostgreSQL; its URL (superuser, with password). */
export async function freshPostgresDatabase(): Promise<string> {
  admin ??= new pg.Pool({ connectionString: postgresServerUrl(), max: 1 });
  const name = `flowstate_${randomBytes(6).toString("hex")}`;
  await admin.query(`CREATE DATABASE ${name}`);
  return databaseUrl(name);
}

/**
 * A new empty schema, in a database this test file shares: its URL selects it with
 * `options=-c search_path=…` (as operators do). Faster than a database per test.
 */
export async function freshPostgresSchema(): Promise<string> {
  fileDatabase ??= freshPostgresDatabase().then((url) => ({
    url,
    pool: new pg.Pool({ connectionString: url, max: 1 }),
  }));
  const database = await fileDatabase;
  const url = new URL(database.url);
  const schema = `test_${randomBytes(6).toString("hex")}`;
  await database.pool.query(`CREATE SCHEMA ${schema}`);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}

/** The run's server URL with another database name. */
export function databaseUrl(database: string): string {
  const url = new URL(postgresServerUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `fn` on a separate connection to the store's database: what another program would see. */
export async function withPostgresClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The URL a PostgreSQL test store was opened with. */
export function postgresUrlOf(store: StateStore): string {
  const url = postgresUrls.get(store);
  if (!url) throw new Error(`${store.location} is not a PostgreSQL test store`);
  return url;
}

/** The task most tests use. */
export const TASK = { dagId: "etl", runId: "manual__2030-01-01", taskId: "extract" } as const;

/** How many rows `table` of the store's database holds, read through a separate connection. */
export async function countRows(store: StateStore, table: string): Promise<number> {
  const url = postgresUrls.get(store);
  if (url) {
    return withPostgresClient(url, async (client) =>
      Number((await client.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n),
    );
  }
  const db = new Database(store.location, { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** A row holding a plain value (no worker backend wrote it), as reads return it. */
export function plain(value: string): StoredState {
  return { value, backend: null };
}

/** A minimal ConfigReader over `{ section: { key: value } }`, parsing booleans and integers as the sdk does. */
export function configOf(sections: Record<string, Record<string, string>>, baseDir: string): ConfigReader {
  const lookup = (section: string, key: string) => sections[section]?.[key];
  return {
    baseDir,
    file: join(baseDir, "airflow.cfg"),
    has: (section, key) => lookup(section, key) !== undefined,
    getSection: (section) => ({ ...sections[section] }),
    get(section, key, options) {
      const value = lookup(section, key) ?? options?.fallback;
      if (value === undefined) throw new ConfigError(`[${section}] ${key} is not set`, { section, key });
      return value;
    },
    getInt(section, key, options) {
      const value = lookup(section, key);
      if (value === undefined) return options?.fallback ?? Number.NaN;
      if (/^[+-]?\d+$/.test(value)) return Number(value);
      throw new ConfigError(`[${section}] ${key} is not an integer`, { section, key, value });
    },
    getBoolean(section, key, options) {
      const value = lookup(section, key)?.toLowerCase();
      if (value === undefined) return options?.fallback ?? false;
      if (["true", "t", "1"].includes(value)) return true;
      if (["false", "f", "0"].includes(value)) return false;
      throw new ConfigError(`[${section}] ${key} is not a boolean`, { section, key, value });
    },
  };
}

/** Resolves once a store connection (application_name flowstate) waits on a lock. */
export async function untilStoreWaitsOnLock(client: {
  query: (sql: string) => Promise<{ rows: unknown[] }>;
}): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { rows } = await client.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = 'flowstate' AND wait_event_type = 'Lock'",
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the store's statement never waited on the lock");
}
