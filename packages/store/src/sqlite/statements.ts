/**
 * Every SQL statement the SQLite dialect runs (the schema is in `schema.ts`). Named parameters
 * (`@dagId`) match the fields of the objects bound to them. Kept in one file so a second dialect
 * can be written side by side.
 */

const TASK_MATCH = "dag_id = @dagId AND run_id = @runId AND task_id = @taskId AND map_index = @mapIndex";

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
  updateTaskInstanceState: "UPDATE task_instance SET state = @state, updated_at = @nowMs WHERE id = @id",
  deleteTaskStateOfInstance: `
    DELETE FROM task_state
    WHERE (dag_id, run_id, task_id, map_index) =
          (SELECT dag_id, run_id, task_id, map_index FROM task_instance WHERE id = ?)`,

  selectTaskState: `
    SELECT value FROM task_state
    WHERE ${TASK_MATCH} AND key = @key AND (expires_at IS NULL OR expires_at > @nowMs)`,
  upsertTaskState: `
    INSERT INTO task_state (dag_id, run_id, task_id, map_index, key, value, expires_at, updated_at)
    VALUES (@dagId, @runId, @taskId, @mapIndex, @key, @value, @expiresAtMs, @nowMs)
    ON CONFLICT (dag_id, run_id, task_id, map_index, key) DO UPDATE SET
      value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
  deleteTaskStateKey: `DELETE FROM task_state WHERE ${TASK_MATCH} AND key = @key`,
  clearTaskStateOfMapIndex: `DELETE FROM task_state WHERE ${TASK_MATCH}`,
  clearTaskStateOfAllMapIndices:
    "DELETE FROM task_state WHERE dag_id = @dagId AND run_id = @runId AND task_id = @taskId",
  listTaskState: `
    SELECT dag_id AS dagId, run_id AS runId, task_id AS taskId, map_index AS mapIndex, key, value,
           expires_at AS expiresAtMs, updated_at AS updatedAtMs
    FROM task_state
    WHERE (@dagId IS NULL OR dag_id = @dagId) AND (@runId IS NULL OR run_id = @runId)
      AND (@taskId IS NULL OR task_id = @taskId) AND (@mapIndex IS NULL OR map_index = @mapIndex)
    ORDER BY dag_id, run_id, task_id, map_index, key`,
  purgeExpiredTaskState: "DELETE FROM task_state WHERE expires_at IS NOT NULL AND expires_at <= ?",

  selectAssetByUri: "SELECT id, name, uri FROM asset WHERE uri = ?",
  upsertAsset: `
    INSERT INTO asset (name, uri, active) VALUES (@name, @uri, 1)
    ON CONFLICT (name) DO UPDATE SET uri = excluded.uri, active = 1`,
  selectActiveAssetByName: "SELECT id, name, uri FROM asset WHERE name = ? AND active = 1",
  selectActiveAssetByUri: "SELECT id, name, uri FROM asset WHERE uri = ? AND active = 1",
  selectAssetState: "SELECT value FROM asset_state WHERE asset_id = ? AND key = ?",
  upsertAssetState: `
    INSERT INTO asset_state (asset_id, key, value, updated_at) VALUES (@assetId, @key, @value, @nowMs)
    ON CONFLICT (asset_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  deleteAssetStateKey: "DELETE FROM asset_state WHERE asset_id = ? AND key = ?",
  clearAssetState: "DELETE FROM asset_state WHERE asset_id = ?",
  listAssetState: `
    SELECT a.name AS assetName, a.uri AS assetUri, s.key, s.value, s.updated_at AS updatedAtMs
    FROM asset_state s JOIN asset a ON a.id = s.asset_id
    WHERE (@name IS NULL OR a.name = @name) AND (@uri IS NULL OR a.uri = @uri)
    ORDER BY a.name, s.key`,
} as const;

/** Name of a statement in {@link SQL}. */
export type StatementName = keyof typeof SQL;
