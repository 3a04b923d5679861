import type Database from "better-sqlite3";
import { foreignTablesError, newerSchemaError } from "../migration.js";
import { CREATE_SCHEMA_VERSION, FLOWSTATE_TABLES, LATEST_SCHEMA_VERSION, MIGRATIONS } from "./schema.js";
import { SQL } from "./statements.js";

/**
 * How long a connection waits by default for another process's write lock before failing with
 * SQLITE_BUSY. Writes are single statements, so several workers sharing a file rarely wait long.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Connection settings. WAL lets readers and one writer work at the same time across processes;
 * it is recorded in the file, so every later connection uses it too. Fails with SQLITE_NOTADB
 * when the file is not a SQLite database.
 */
export function configureConnection(db: Database.Database, busyTimeoutMs: number): void {
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL"); // durable across process crashes in WAL mode, and much faster than FULL
  db.pragma("foreign_keys = ON");
}

/**
 * Brings the schema up to date. Runs under an IMMEDIATE transaction (the write lock), so two
 * processes opening a new file at once apply each migration exactly once.
 * @returns the version the file had before (`0` for a new file).
 */
export function migrate(db: Database.Database, location: string): number {
  return db
    .transaction(() => {
      db.exec(CREATE_SCHEMA_VERSION);
      const current = (db.prepare(SQL.currentVersion).get() as { version: number }).version;
      if (current > LATEST_SCHEMA_VERSION) throw newerSchemaError(location, current, LATEST_SCHEMA_VERSION);
      if (current === 0) refuseForeignTables(db, location);
      for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
        db.exec(migration.sql);
        db.prepare(SQL.recordVersion).run({ version: migration.version, appliedAt: Date.now() });
      }
      return current;
    })
    .immediate();
}

// A SQLite file with our table names but no schema_version was written by something else
// (e.g. Airflow's own airflow.db); writing into it would corrupt both.
function refuseForeignTables(db: Database.Database, location: string): void {
  const rows = db.prepare(SQL.existingTables).all(JSON.stringify(FLOWSTATE_TABLES)) as { name: string }[];
  if (rows.length === 0) return;
  throw foreignTablesError(
    location,
    rows.map((r) => r.name),
    { what: "SQLite database", fresh: "a new file", option: "the path option" },
  );
}
