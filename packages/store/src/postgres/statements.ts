/**
 * Every SQL statement the PostgreSQL dialect runs (the schema is in `schema.ts`), side by side
 * with `../sqlite/statements.ts`. Named parameters (`@dagId`) match the fields of the objects
 * bound to them and are compiled to `$1…` once. Aliases are quoted so rows come back in the
 * store's camelCase. Deletes return the rows they removed (`RETURNING`), so the worker deletes
 * exactly the objects those rows named. `value` is BYTEA (UTF-8): the dialect converts.
 */

const TASK_MATCH = "dag_id = @dagId AND run_id = @runId AND task_id = @taskId AND map_index = @mapIndex";
const TASK_OF_ALL_MAP_INDICES = "dag_id = @dagId AND run_id = @runId AND task_id = @taskId";
const REMOVED_TASK_STATE = `RETURNING map_index AS "mapIndex", key, value, backend`;
const TASK_STATE_ROW = `dag_id AS "dagId", run_id AS "runId", task_id AS "taskId", map_index AS "mapIndex", key,
           value, backend, expires_at AS "expiresAtMs", updated_at AS "updatedAtMs"`;
const EXPIRED = "expires_at IS NOT NULL AND expires_at <= @nowMs";

/** The SQL of the PostgreSQL dialect, by what it does. */
const TEXT = {
  // One lock for every migrating process of this database (`hashtext` of a fixed name).
  migrationLock: "SELECT pg_advisory_xact_lock(hashtext('flowstate.store.migrate'))",
  currentVersion: "SELECT COALESCE(MAX(version), 0) AS version FROM schema_version",
  recordVersion: "INSERT INTO schema_version (version, applied_at) VALUES (@version, @appliedAt)",
  existingTables: `
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_name = ANY(@names::text[])
    ORDER BY table_name`,

  insertTaskInstance: `
    INSERT INTO task_instance (id, dag_id, run_id, task_id, map_index, try_number, state, updated_at)
    VALUES (@id, @dagId, @runId, @taskId, @mapIndex, @tryNumber, @state, @nowMs)
    ON CONFLICT (id) DO NOTHING`,
  selectTaskInstance: `
    SELECT id, dag_id AS "dagId", run_id AS "runId", task_id AS "taskId", map_index AS "mapIndex",
           try_number AS "tryNumber", state
    FROM task_instance WHERE id = @id`,
  listTaskInstances: `
    SELECT id, dag_id AS "dagId", run_id AS "runId", task_id AS "taskId", map_index AS "mapIndex",
           try_number AS "tryNumber", state
    FROM task_instance
    WHERE (@dagId::text IS NULL OR dag_id = @dagId) AND (@runId::text IS NULL OR run_id = @runId)
      AND (@taskId::text IS NULL OR task_id = @taskId) AND (@mapIndex::integer IS NULL OR map_index = @mapIndex)
    ORDER BY dag_id, run_id, task_id, map_index, try_number, id`,
  updateTaskInstanceState: "UPDATE task_instance SET state = @state, updated_at = @nowMs WHERE id = @id",
  deleteTaskStateOfInstance: `
    DELETE FROM task_state
    WHERE (dag_id, run_id, task_id, map_index) =
          (SELECT dag_id, run_id, task_id, map_index FROM task_instance WHERE id = @id)
    ${REMOVED_TASK_STATE}`,

  selectTaskState: `
    SELECT value, backend FROM task_state
    WHERE ${TASK_MATCH} AND key = @key AND (expires_at IS NULL OR expires_at > @nowMs)`,
  // Any row, expired or not, locked until the transaction ends: the one the update replaces.
  lockTaskState: `SELECT value, backend FROM task_state WHERE ${TASK_MATCH} AND key = @key FOR UPDATE`,
  updateTaskState: `
    UPDATE task_state SET value = @value, backend = @backend, expires_at = @expiresAtMs, updated_at = @nowMs
    WHERE ${TASK_MATCH} AND key = @key`,
  // Nothing when a concurrent transaction inserted the key first: the caller locks that row then.
  insertTaskState: `
    INSERT INTO task_state (dag_id, run_id, task_id, map_index, key, value, backend, expires_at, updated_at)
    VALUES (@dagId, @runId, @taskId, @mapIndex, @key, @value, @backend, @expiresAtMs, @nowMs)
    ON CONFLICT (dag_id, run_id, task_id, map_index, key) DO NOTHING
    RETURNING key`,
  deleteTaskStateKey: `DELETE FROM task_state WHERE ${TASK_MATCH} AND key = @key RETURNING value, backend`,
  clearTaskStateOfMapIndex: `DELETE FROM task_state WHERE ${TASK_MATCH} ${REMOVED_TASK_STATE}`,
  clearTaskStateOfAllMapIndices: `DELETE FROM task_state WHERE ${TASK_OF_ALL_MAP_INDICES} ${REMOVED_TASK_STATE}`,
  listTaskState: `
    SELECT ${TASK_STATE_ROW}
    FROM task_state
    WHERE (@dagId::text IS NULL OR dag_id = @dagId) AND (@runId::text IS NULL OR run_id = @runId)
      AND (@taskId::text IS NULL OR task_id = @taskId) AND (@mapIndex::integer IS NULL OR map_index = @mapIndex)
    ORDER BY dag_id, run_id, task_id, map_index, key`,
  // One batch of expired rows (found through the partial index on expires_at). The outer
  // condition is checked again on the row version a concurrent set may have left.
  purgeExpiredTaskStateBatch: `
    DELETE FROM task_state
    WHERE ctid = ANY(ARRAY(SELECT ctid FROM task_state WHERE ${EXPIRED} LIMIT @batchSize)) AND ${EXPIRED}
    RETURNING ${TASK_STATE_ROW}`,

  selectAssetByUri: "SELECT id, name, uri FROM asset WHERE uri = @uri",
  upsertAsset: `
    INSERT INTO asset (name, uri, active) VALUES (@name, @uri, TRUE)
    ON CONFLICT (name) DO UPDATE SET uri = excluded.uri, active = TRUE`,
  selectActiveAssetByName: "SELECT id, name, uri FROM asset WHERE name = @lookup AND active",
  selectActiveAssetByUri: "SELECT id, name, uri FROM asset WHERE uri = @lookup AND active",
  selectAssetState: "SELECT value, backend FROM asset_state WHERE asset_id = @assetId AND key = @key",
  lockAssetState:
    "SELECT value, backend FROM asset_state WHERE asset_id = @assetId AND key = @key FOR UPDATE",
  updateAssetState: `
    UPDATE asset_state SET value = @value, backend = @backend, updated_at = @nowMs
    WHERE asset_id = @assetId AND key = @key`,
  insertAssetState: `
    INSERT INTO asset_state (asset_id, key, value, backend, updated_at) VALUES (@assetId, @key, @value, @backend, @nowMs)
    ON CONFLICT (asset_id, key) DO NOTHING
    RETURNING key`,
  deleteAssetStateKey:
    "DELETE FROM asset_state WHERE asset_id = @assetId AND key = @key RETURNING value, backend",
  clearAssetState: "DELETE FROM asset_state WHERE asset_id = @assetId RETURNING key, value, backend",
  listAssetState: `
    SELECT a.name AS "assetName", a.uri AS "assetUri", s.key, s.value, s.backend, s.updated_at AS "updatedAtMs"
    FROM asset_state s JOIN asset a ON a.id = s.asset_id
    WHERE (@name::text IS NULL OR a.name = @name) AND (@uri::text IS NULL OR a.uri = @uri)
    ORDER BY a.name, s.key`,
} as const;

/** Name of a statement in {@link SQL}. */
export type StatementName = keyof typeof TEXT;

/** A statement with `$n` placeholders, and the parameter names in `$n` order. */
export interface CompiledStatement {
  name: StatementName;
  text: string;
  params: readonly string[];
}

/** `@name` → `$n` (each name once, reused where it repeats). */
function compile(name: StatementName, sql: string): CompiledStatement {
  const params: string[] = [];
  const text = sql.replace(/@([A-Za-z]\w*)/g, (_match, param: string) => {
    let index = params.indexOf(param);
    if (index < 0) index = params.push(param) - 1;
    return `$${index + 1}`;
  });
  return { name, text, params };
}

/** The statements of the PostgreSQL dialect, compiled. */
export const SQL = Object.fromEntries(
  Object.entries(TEXT).map(([name, sql]) => [name, compile(name as StatementName, sql)]),
) as Record<StatementName, CompiledStatement>;
