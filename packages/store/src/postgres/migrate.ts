import type pg from "pg";
import { FLOWSTATE_TABLES, foreignTablesError, newerSchemaError } from "../migration.js";
import { CREATE_SCHEMA_VERSION, LATEST_SCHEMA_VERSION, MIGRATIONS } from "./schema.js";
import { SQL } from "./statements.js";
import { inTransaction } from "./transaction.js";

/**
 * Brings the schema up to date. A database already at this version is only read (no lock, no
 * DDL), so many workers can open it at once. Otherwise one transaction takes an advisory lock
 * (`pg_advisory_xact_lock`) first: concurrent starters wait for each other, and each migration is
 * applied exactly once; a failed migration rolls back whole (PostgreSQL DDL is transactional).
 * @returns the version the database had before (`0` for a new database).
 */
export async function migrate(pool: pg.Pool, location: string): Promise<number> {
  const current = await currentVersion(pool);
  if (current === LATEST_SCHEMA_VERSION) return current;
  if (current > LATEST_SCHEMA_VERSION) throw newerSchemaError(location, current, LATEST_SCHEMA_VERSION);
  return inTransaction(pool, async (client) => {
    await client.query(SQL.migrationLock.text);
    await client.query(CREATE_SCHEMA_VERSION);
    const locked = (await client.query<{ version: number }>(SQL.currentVersion.text)).rows[0]?.version ?? 0;
    if (locked > LATEST_SCHEMA_VERSION) throw newerSchemaError(location, locked, LATEST_SCHEMA_VERSION);
    if (locked === 0) await refuseForeignTables(client, location);
    for (const migration of MIGRATIONS.filter((m) => m.version > locked)) {
      await client.query(migration.sql);
      await client.query(SQL.recordVersion.text, [migration.version, Date.now()]);
    }
    return locked;
  });
}

/** The applied version, `0` when `schema_version` does not exist yet. */
async function currentVersion(pool: pg.Pool): Promise<number> {
  const exists = await pool.query<{ found: boolean }>(
    "SELECT to_regclass('schema_version') IS NOT NULL AS found",
  );
  if (!exists.rows[0]?.found) return 0;
  return (await pool.query<{ version: number }>(SQL.currentVersion.text)).rows[0]?.version ?? 0;
}

// A schema with our table names but no schema_version was written by something else (e.g.
// Airflow's own metadata database); writing into it would corrupt both.
async function refuseForeignTables(client: pg.PoolClient, location: string): Promise<void> {
  const found = await client.query<{ name: string }>(SQL.existingTables.text, [[...FLOWSTATE_TABLES]]);
  if (found.rows.length === 0) return;
  throw foreignTablesError(
    location,
    found.rows.map((r) => r.name),
    { what: "PostgreSQL schema", fresh: "a new database (or schema)", option: "the url option" },
  );
}
