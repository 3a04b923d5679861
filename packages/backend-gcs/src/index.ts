/**
 * `@flowstate/backend-gcs`: a flowstate worker state backend for Google Cloud Storage (and
 * GCS-API-compatible emulators). Class path: `@flowstate/backend-gcs.GcsStateBackend`.
 * @packageDocumentation
 */
export { GcsStateBackend } from "./gcs-state-backend.js";
export type { GcsCompression, GcsStateBackendOptions, ResolvedGcsOptions } from "./options.js";
