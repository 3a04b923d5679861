/**
 * `@flowstate/api-server`: the state API server for many workers. It serves task state, asset
 * state and task instance routes of Airflow's Execution API shape over HTTP from the metadata
 * store, to workers holding a signed token for their own task instance. Workers send references
 * (their values stay in worker-side backends); every write answers with the rows it replaced or
 * removed.
 * @packageDocumentation
 */
export {
  type GrantedAsset,
  type IssueTaskTokenOptions,
  issueTaskToken,
  MIN_SECRET_BYTES,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
} from "./auth.js";
export { MAX_REFERENCE_BYTES } from "./context.js";
export type { ApiErrorBody, ApiErrorReason } from "./errors.js";
export {
  API_PREFIX,
  API_VERSION,
  type ApiServerOptions,
  createApiServer,
  DEFAULT_HOST,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_PORT,
  type RunningApiServer,
  startApiServer,
} from "./server.js";
