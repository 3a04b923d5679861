/**
 * `@flowstate/object-storage-backend`: what every flowstate object-storage state backend shares —
 * {@link ObjectStorageStateBackend} (get/set/delete/clear and the reference hooks over a few
 * storage primitives), the value codec, option resolution from one declarative table, and
 * helpers for classifying client errors. `@flowstate/backend-s3` and `@flowstate/backend-gcs`
 * are built on it.
 * @packageDocumentation
 */
export { networkErrorCode, truncatedMessage } from "./client-errors.js";
export { ENCODING_METADATA_KEY, type ObjectCompression, type StoredEncoding } from "./codec.js";
export { ObjectStorageStateBackend } from "./object-storage-backend.js";
export { bucketOption, COMPRESSION_OPTION, PREFIX_OPTION } from "./options/common.js";
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
export { objectUrl } from "./refs.js";
export type { ObjectStorageOptions, ObjectStoreIdentity, ObjectWrite, StoredObject } from "./types.js";
