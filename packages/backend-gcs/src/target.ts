import type { StateBackendOperation } from "@flowstate/shared-state";
import type { Bucket } from "@google-cloud/storage";
import type { ResolvedGcsOptions } from "./options.js";

/** What the object operations need: the bucket handle, the resolved options, and the operation for messages. */
export interface GcsTarget {
  bucket: Bucket;
  options: ResolvedGcsOptions;
  operation: StateBackendOperation;
}
