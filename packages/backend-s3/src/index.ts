/**
 * `@flowstate/backend-s3`: a flowstate worker state backend for Amazon S3 and S3-compatible
 * stores. Class path: `@flowstate/backend-s3.S3StateBackend`.
 * @packageDocumentation
 */
export type { ResolvedS3Options, S3Checksums, S3Compression, S3StateBackendOptions } from "./options.js";
export { S3StateBackend } from "./s3-state-backend.js";
