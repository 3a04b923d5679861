/**
 * The SQLite schema, as numbered migrations. `schema_version` records which ones a file has, so
 * later versions can add migrations without touching existing files twice. Times are epoch
 * milliseconds (INTEGER) so that `expires_at <= now` compares exactly.
 */

import { latestVersion, type Migration } from "../migration.js";

export { FLOWSTATE_TABLES, type Migration } from "../migration.js";

/** Created before anything else; every other table comes from a migration. */
export const CREATE_SCHEMA_VERSION = `
CREATE TABLE IF NOT EXISTS schema_version (
  version    INTEGER PRIMARY KEY NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE task_instance (
  id          TEXT PRIMARY KEY NOT NULL,
  dag_id      TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  task_id     TEXT NOT NULL,
  map_index   INTEGER NOT NULL DEFAULT -1,
  try_number  INTEGER NOT NULL DEFAULT 1,
  state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'success', 'failed')),
  updated_at  INTEGER NOT NULL
);
CREATE INDEX task_instance_task ON task_instance (dag_id, run_id, task_id, map_index);

-- Keyed by the task, not the try: every try of a task instance reads the same rows.
CREATE TABLE task_state (
  dag_id      TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  task_id     TEXT NOT NULL,
  map_index   INTEGER NOT NULL DEFAULT -1,
  key         TEXT NOT NULL,
  value       TEXT NOT NULL,
  expires_at  INTEGER,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (dag_id, run_id, task_id, map_index, key)
);
CREATE INDEX task_state_expires_at ON task_state (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE asset (
  id      INTEGER PRIMARY KEY,
  name    TEXT NOT NULL UNIQUE,
  uri     TEXT NOT NULL UNIQUE,
  active  INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TABLE asset_state (
  asset_id    INTEGER NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  value       TEXT NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (asset_id, key)
);
`,
  },
  {
    version: 2,
    // Which worker backend wrote a row's value as a reference (its class path); NULL for a plain
    // value. A reference is then never handed back as a value once the configuration changes.
    sql: `
ALTER TABLE task_state ADD COLUMN backend TEXT;
ALTER TABLE asset_state ADD COLUMN backend TEXT;
`,
  },
];

/** The schema version this code writes and reads. */
export const LATEST_SCHEMA_VERSION = latestVersion(MIGRATIONS);
