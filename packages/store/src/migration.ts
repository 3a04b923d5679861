/**
 * What the dialects' migrations share: their shape, the tables they own, and the two ways a
 * database is refused before anything is written to it.
 */
import { StateStoreError } from "@flowstate/shared-state";
import { storeMessage } from "./failures.js";

/** One step of a schema. Applied in order, each once per database. */
export interface Migration {
  version: number;
  sql: string;
}

/** The tables of migration 1; a database without `schema_version` but with one of them is not ours. */
export const FLOWSTATE_TABLES = ["task_instance", "task_state", "asset", "asset_state"] as const;

/** The newest version of `migrations`. */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

/** The refusal of a database whose schema is newer than this code. */
export function newerSchemaError(location: string, found: number, latest: number): StateStoreError {
  const problem =
    `the database has schema version ${found}, newer than the ${latest} ` +
    "this @flowstate/store understands. Upgrade @flowstate/store.";
  return new StateStoreError(storeMessage("open", location, problem));
}

/**
 * The refusal of a database holding our table names without our `schema_version` (e.g.
 * Airflow's own metadata database): writing into it would corrupt both. `what` names the kind of
 * database, `fresh` what to point at instead (a new file, a new database), `option` the option
 * besides the config key that names it.
 */
export function foreignTablesError(
  location: string,
  tables: string[],
  names: { what: string; fresh: string; option: string },
): StateStoreError {
  const problem =
    `it is a ${names.what} with table(s) ${tables.join(", ")} that flowstate did not create. ` +
    `Point [database] sql_alchemy_conn (or ${names.option}) at ${names.fresh} for flowstate.`;
  return new StateStoreError(storeMessage("open", location, problem));
}
