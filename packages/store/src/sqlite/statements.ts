/**
 * Every SQL statement the SQLite dialect runs (the schema is in `schema.ts`). Named parameters
 * (`@dagId`) match the fields of the objects bound to them. Kept in one file so a second dialect
 * can be written side by side. Deletes return the rows they removed (`RETURNING`), so the worker
 * deletes exactly the objects those rows named.
 */

const TASK_MATCH = "dag_id = @dagId AND run_id = @runId AND task_id = @taskId AND map_index = @mapIndex";
const TASK_OF_ALL_MAP_INDICES = "dag_id = @dagId AND run_id = @runId AND task_id = @taskId";
const REMOVED_TASK_STATE = "RETURNING map_index AS mapIndex, key, value, backend";
const TASK_STATE_ROW = `dag_id AS dagId, run_id AS runId, task_id AS taskId, map_index AS mapIndex, key, value,
           backend, expires_at AS expiresAtMs, updated_at AS updatedAtMs`;

/**
 * A function the SQLite connection defines (see `sqlite-database.ts`): called with the old row's
 * value and backend when an upsert overwrites a row, it hands them to the caller and returns its
 * third argument unchanged. SQLite's `RETURNING` shows only the new row; this is how one upsert
 * statement answers with the row it replaced, atomically, without a transaction around a SELECT.
 * (In `DO UPDATE SET`, a column names the row's value before the update.)
 */
export const REPLACED_ROW_FUNCTION = "flowstate_replaced_row";

const UPSERT_TASK_STATE = `ON CONFLICT (dag_id, run_id, task_id, map_index, key) DO UPDATE SET
      value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at,
      backend = ${REPLACED_ROW_FUNCTION}(task_state.value, task_state.backend, excluded.backend)`;

/** The SQL of the SQLite dialect, by what it does. */
export const SQL = {
  currentVersion: "SELECT COALESCE(MAX(version), 0) AS version FROM schema_version",
  recordVersion: "INSERT INTO schema_version (version, applied_at) VALUES (@version, @appliedAt)",
  existingTables:
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (SELECT value FROM json_each(?))",

  insertTaskInstance: `
    INSERT INTO task_instance (id, dag_id, run_id, task_id, map_index, try_number, state, updated_at)
    VALUES (@id, @dagId, @runId, @taskId, @mapIndex, @tryNumber, @state, @nowMs)
    ON CONFLICT (id) DO NOTHING`,
  selectTaskInstance: `
    SELECT id, dag_id AS dagId, run_id AS runId, task_id AS taskId, map_index AS mapIndex,
           try_number AS tryNumber, state
    FROM task_instance WHERE id = ?`,
  listTaskInstances: `
    SELECT id, dag_id AS dagId, run_id AS runId, task_id AS taskId, map_index AS mapIndex,
           try_number AS tryNumber, state
    FROM task_instance
    WHERE (@dagId IS NULL OR dag_id = @dagId) AND (@runId IS NULL OR run_id = @runId)
      AND (@taskId IS NULL OR task_id = @taskId) AND (@mapIndex IS NULL OR map_index = @mapIndex)
    ORDER BY dag_id, run_id, task_id, map_index, try_number, id`,
  updateTaskInstanceState: "UPDATE task_instance SET state = @state, updated_at = @nowMs WHERE id = @id",
  deleteTaskStateOfInstance: `
    DELETE FROM task_state
    WHERE (dag_id, run_id, task_id, map_index) =
          (SELECT dag_id, run_id, task_id, map_index FROM task_instance WHERE id = ?)
    ${REMOVED_TASK_STATE}`,

  selectTaskState: `
    SELECT value, backend FROM task_state
    WHERE ${TASK_MATCH} AND key = @key AND (expires_at IS NULL OR expires_at > @nowMs)`,
  upsertTaskState: `
    INSERT INTO task_state (dag_id, run_id, task_id, map_index, key, value, backend, expires_at, updated_at)
    VALUES (@dagId, @runId, @taskId, @mapIndex, @key, @value, @backend, @expiresAtMs, @nowMs)
    ${UPSERT_TASK_STATE}`,
  // The embedded client's hot path: the task instance check and the read or write in ONE
  // statement (positional parameters, in the order written). The read answers no row for an
  // unknown task instance, and a row with a NULL value when the key has none.
  selectTaskStateOfInstance: `
    SELECT s.value, s.backend FROM task_instance AS ti
    LEFT JOIN task_state AS s
      ON s.dag_id = ti.dag_id AND s.run_id = ti.run_id AND s.task_id = ti.task_id
     AND s.map_index = ti.map_index AND s.key = ? AND (s.expires_at IS NULL OR s.expires_at > ?)
    WHERE ti.id = ?`,
  // Changes no row for an unknown task instance. (\`WHERE\` is required by SQLite's grammar
  // before an upsert's ON CONFLICT after a SELECT.)
  upsertTaskStateOfInstance: `
    INSERT INTO task_state (dag_id, run_id, task_id, map_index, key, value, backend, expires_at, updated_at)
    SELECT dag_id, run_id, task_id, map_index, ?, ?, ?, ?, ? FROM task_instance WHERE id = ?
    ${UPSERT_TASK_STATE}`,
  deleteTaskStateKey: `DELETE FROM task_state WHERE ${TASK_MATCH} AND key = @key RETURNING value, backend`,
  clearTaskStateOfMapIndex: `DELETE FROM task_state WHERE ${TASK_MATCH} ${REMOVED_TASK_STATE}`,
  clearTaskStateOfAllMapIndices: `DELETE FROM task_state WHERE ${TASK_OF_ALL_MAP_INDICES} ${REMOVED_TASK_STATE}`,
  listTaskState: `
    SELECT ${TASK_STATE_ROW}
    FROM task_state
    WHERE (@dagId IS NULL OR dag_id = @dagId) AND (@runId IS NULL OR run_id = @runId)
      AND (@taskId IS NULL OR task_id = @taskId) AND (@mapIndex IS NULL OR map_index = @mapIndex)
    ORDER BY dag_id, run_id, task_id, map_index, key`,
  purgeExpiredTaskState: `
    DELETE FROM task_state WHERE expires_at IS NOT NULL AND expires_at <= ?
    RETURNING ${TASK_STATE_ROW}`,

  selectAssetByUri: "SELECT id, name, uri FROM asset WHERE uri = ?",
  upsertAsset: `
    INSERT INTO asset (name, uri, active) VALUES (@name, @uri, 1)
    ON CONFLICT (name) DO UPDATE SET uri = excluded.uri, active = 1`,
  selectActiveAssetByName: "SELECT id, name, uri FROM asset WHERE name = ? AND active = 1",
  selectActiveAssetByUri: "SELECT id, name, uri FROM asset WHERE uri = ? AND active = 1",
  selectAssetState: "SELECT value, backend FROM asset_state WHERE asset_id = ? AND key = ?",
  upsertAssetState: `
    INSERT INTO asset_state (asset_id, key, value, backend, updated_at) VALUES (@assetId, @key, @value, @backend, @nowMs)
    ON CONFLICT (asset_id, key) DO UPDATE SET
      value = excluded.value, updated_at = excluded.updated_at,
      backend = ${REPLACED_ROW_FUNCTION}(asset_state.value, asset_state.backend, excluded.backend)`,
  deleteAssetStateKey: "DELETE FROM asset_state WHERE asset_id = ? AND key = ? RETURNING value, backend",
  clearAssetState: "DELETE FROM asset_state WHERE asset_id = ? RETURNING key, value, backend",
  listAssetState: `
    SELECT a.name AS assetName, a.uri AS assetUri, s.key, s.value, s.backend, s.updated_at AS updatedAtMs
    FROM asset_state s JOIN asset a ON a.id = s.asset_id
    WHERE (@name IS NULL OR a.name = @name) AND (@uri IS NULL OR a.uri = @uri)
    ORDER BY a.name, s.key`,
} as const;

/** Name of a statement in {@link SQL}. */
export type StatementName = keyof typeof SQL;
