/**
 * `@flowstate/store`: the metadata store. It records task instances, task state rows and asset
 * state rows (values, or a worker backend's references) in an embedded SQLite file or in
 * PostgreSQL, and serves
 * them to the accessors through an embedded `StateClient`.
 * @packageDocumentation
 */
export { openStateStore } from "./config.js";
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_POOL_SIZE,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  type OpenPostgresStateStoreOptions,
  openPostgresStateStore,
} from "./postgres/open.js";
export { type OpenSqliteStateStoreOptions, openSqliteStateStore } from "./sqlite/open.js";
export type {
  AssetInit,
  AssetStateFilter,
  AssetStateRow,
  StateStore,
  StoreSchemaVersion,
  TaskInstanceFilter,
  TaskInstanceInit,
  TaskInstanceRecord,
  TaskInstanceState,
  TaskStateFilter,
  TaskStateRow,
} from "./types.js";
