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
const TASK_COLUMNS = ["dag_id", "run_id", "task_id", "map_index"];
const TASK_INSTANCE_KEY = "SELECT dag_id, run_id, task_id, map_index FROM task_instance WHERE id = @tiId";
const TASK_KEY_PARAMS =
  "SELECT @dagId::text AS dag_id, @runId::text AS run_id, @taskId::text AS task_id, @mapIndex::integer AS map_index";

/**
 * One statement (one round trip, no explicit transaction) that upserts a state row and answers
 * with exactly the row it replaced — the contract `writeTaskState`/`writeAssetState` keep, which a
 * plain `INSERT … ON CONFLICT DO UPDATE … RETURNING` cannot (it returns the new row). Under READ
 * COMMITTED, in the statement's order of events:
 * - `owner`: whose row it is (a task instance's task, given key fields, or an asset id); no row
 *   when the task instance does not exist (the statement then writes nothing and answers `missing`).
 * - `old`: the current row, `FOR UPDATE`. A concurrent writer holding it makes this wait; the lock
 *   then follows the update chain to the newest committed version and answers that version's
 *   value — the one this write replaces. A concurrent delete leaves `old` empty.
 * - `updated`: overwrites the row `old` locked. Its scan may find the older version of the
 *   statement's snapshot; READ COMMITTED's recheck moves it to the newest version, which is the
 *   one this statement already holds locked, so no third writer can slip in between.
 * - `inserted`: only when `old` is empty. `ON CONFLICT DO NOTHING` waits on the unique index for
 *   a concurrent first insert of the same key and then inserts nothing.
 * No answer row at all means a concurrent writer created the key after this statement's
 * snapshot: the caller runs the statement again (a new snapshot, which sees that row).
 */
function replacingUpsert(
  table: string,
  owner: string,
  ownerColumns: string[],
  extra: Record<string, string>,
): string {
  const keyColumns = [...ownerColumns, "key"];
  const written: Record<string, string> = { value: "@value::bytea", backend: "@backend::text", ...extra };
  const columns = Object.keys(written);
  return `
    WITH owner AS MATERIALIZED (${owner}),
    old AS (
      SELECT ${ownerColumns.map((c) => `s.${c}`).join(", ")}, s.value, s.backend
      FROM ${table} s JOIN owner o ON ${ownerColumns.map((c) => `s.${c} = o.${c}`).join(" AND ")}
      WHERE s.key = @key::text
      FOR UPDATE OF s
    ),
    updated AS (
      UPDATE ${table} s SET ${columns.map((c) => `${c} = ${written[c]}`).join(", ")}
      FROM old
      WHERE ${ownerColumns.map((c) => `s.${c} = old.${c}`).join(" AND ")} AND s.key = @key::text
      RETURNING old.value, old.backend
    ),
    inserted AS (
      INSERT INTO ${table} (${[...keyColumns, ...columns].join(", ")})
      SELECT ${ownerColumns.join(", ")}, @key::text, ${columns.map((c) => written[c]).join(", ")}
      FROM owner WHERE NOT EXISTS (SELECT FROM old)
      ON CONFLICT (${keyColumns.join(", ")}) DO NOTHING
      RETURNING 1
    )
    SELECT 'replaced' AS outcome, value, backend FROM updated
    UNION ALL SELECT 'inserted', NULL, NULL FROM inserted
    UNION ALL SELECT 'missing', NULL, NULL WHERE NOT EXISTS (SELECT FROM owner)`;
}

const TASK_STATE_WRITE = { expires_at: "@expiresAtMs::bigint", updated_at: "@nowMs::bigint" };

const TASK_KEY_OF = (alias: string) => TASK_COLUMNS.map((c) => `${alias}.${c}`).join(", ");
const SAME_TASK_KEY = (a: string, b: string) =>
  [...TASK_COLUMNS, "key"].map((c) => `${a}.${c} = ${b}.${c}`).join(" AND ");

/**
 * {@link replacingUpsert} for several task instances' writes at once (arrays, one element per
 * write, answered by `ord`, its 1-based position): one statement, one commit, however many writes.
 * Of several writes to one key (two task instance ids of one task) only the first in the batch
 * runs. Rows are locked, and new keys inserted, in key order, so two batches never wait on each
 * other in a circle. A write that gets no answer row (a concurrent first insert of its key, or a
 * later write to a key already in the batch) is run again on its own by the caller, as the single
 * statement's is.
 */
const writeTaskStatesOfInstances = `
    WITH input AS MATERIALIZED (
      SELECT * FROM unnest(
        @tiIds::text[], @keys::text[], @values::bytea[], @backends::text[], @expiresAtMs::bigint[], @nowMs::bigint[]
      ) WITH ORDINALITY AS i(ti_id, key, value, backend, expires_at, updated_at, ord)
    ),
    owner AS MATERIALIZED (
      SELECT DISTINCT ON (${TASK_KEY_OF("t")}, i.key)
        i.ord, ${TASK_KEY_OF("t")}, i.key, i.value, i.backend, i.expires_at, i.updated_at
      FROM input i JOIN task_instance t ON t.id = i.ti_id
      ORDER BY ${TASK_KEY_OF("t")}, i.key, i.ord
    ),
    old AS MATERIALIZED (
      SELECT o.ord, ${TASK_KEY_OF("s")}, s.key, s.value, s.backend
      FROM task_state s JOIN owner o ON ${SAME_TASK_KEY("s", "o")}
      ORDER BY ${TASK_KEY_OF("s")}, s.key
      FOR UPDATE OF s
    ),
    updated AS (
      UPDATE task_state s
      SET value = o.value, backend = o.backend, expires_at = o.expires_at, updated_at = o.updated_at
      FROM old JOIN owner o ON o.ord = old.ord
      WHERE ${SAME_TASK_KEY("s", "old")}
      RETURNING old.ord, old.value, old.backend
    ),
    inserted AS (
      INSERT INTO task_state (${TASK_COLUMNS.join(", ")}, key, value, backend, expires_at, updated_at)
      SELECT ${TASK_KEY_OF("o")}, o.key, o.value, o.backend, o.expires_at, o.updated_at
      FROM owner o WHERE NOT EXISTS (SELECT FROM old WHERE old.ord = o.ord)
      ORDER BY ${TASK_KEY_OF("o")}, o.key
      ON CONFLICT (${TASK_COLUMNS.join(", ")}, key) DO NOTHING
      RETURNING ${TASK_COLUMNS.join(", ")}, key
    )
    SELECT ord, 'replaced' AS outcome, value, backend FROM updated
    UNION ALL SELECT o.ord, 'inserted', NULL, NULL FROM inserted n JOIN owner o ON ${SAME_TASK_KEY("n", "o")}
    UNION ALL SELECT i.ord, 'missing', NULL, NULL FROM input i
      WHERE NOT EXISTS (SELECT FROM task_instance t WHERE t.id = i.ti_id)`;

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
  // The task instance's row and its unexpired value in one statement: no row at all when the
  // task instance does not exist, a NULL value when it has no such key.
  selectTaskStateOfInstance: `
    SELECT s.value, s.backend FROM task_instance t
    LEFT JOIN task_state s ON s.dag_id = t.dag_id AND s.run_id = t.run_id AND s.task_id = t.task_id
      AND s.map_index = t.map_index AND s.key = @key AND (s.expires_at IS NULL OR s.expires_at > @nowMs)
    WHERE t.id = @tiId`,
  writeTaskStateOfInstance: replacingUpsert("task_state", TASK_INSTANCE_KEY, TASK_COLUMNS, TASK_STATE_WRITE),
  writeTaskStatesOfInstances,
  writeTaskState: replacingUpsert("task_state", TASK_KEY_PARAMS, TASK_COLUMNS, TASK_STATE_WRITE),
  writeAssetState: replacingUpsert("asset_state", "SELECT @assetId::bigint AS asset_id", ["asset_id"], {
    updated_at: "@nowMs::bigint",
  }),
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
  // The name is the prepared statement's on each connection: parsed and planned once per connection.
  return { name, text, params };
}

/** The statements of the PostgreSQL dialect, compiled. */
export const SQL = Object.fromEntries(
  Object.entries(TEXT).map(([name, sql]) => [name, compile(name as StatementName, sql)]),
) as Record<StatementName, CompiledStatement>;
