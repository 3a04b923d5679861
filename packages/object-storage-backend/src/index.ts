/**
 * `@flowstate/object-storage-backend`: what every flowstate object-storage state backend shares —
 * {@link ObjectStorageStateBackend} (versioned writes, get/set/delete/clear, the reference hooks,
 * `deleteStateRefs` and `listStateRefs` over a few storage primitives), the value codec, option
 * resolution from one declarative table, and helpers for explaining client errors.
 * `@flowstate/backend-s3` and `@flowstate/backend-gcs` are built on it.
 * @packageDocumentation
 */
export {
  type ConnectionFailure,
  connectionFailure,
  type EndpointContext,
  explainConnectionFailure,
  networkErrorCode,
  timeoutError,
  truncatedMessage,
} from "./client-errors.js";
export {
  ENCODING_METADATA_KEY,
  EXPIRES_AT_METADATA_KEY,
  type ObjectCompression,
  type StoredEncoding,
} from "./codec.js";
export { type FailedDelete, partialDeleteError } from "./delete-errors.js";
export { ObjectStorageStateBackend } from "./object-storage-backend.js";
export { BOUNDED_WAIT_OPTIONS, bucketOption, COMPRESSION_OPTION, PREFIX_OPTION } from "./options/common.js";
export { knownOptionNames, type OptionSpec, type OptionTable, resolveOptions } from "./options/resolve.js";
export {
  boolean,
  type EndpointMessages,
  endpointUrl,
  integerIn,
  invalidOption,
  type OptionParser,
  oneOf,
  prefixPath,
  type RawValue,
  text,
} from "./options/values.js";
export { type ValueParts, valueStream } from "./parts.js";
export { objectUrl } from "./refs.js";
export type {
  BoundedWaitOptions,
  DeleteFailureContext,
  ListedObject,
  ObjectStorageOptions,
  ObjectStoreIdentity,
  ObjectWrite,
  StoredObject,
} from "./types.js";
