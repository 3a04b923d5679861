import type { Bucket } from "@google-cloud/storage";
import type { BatchClient } from "./batch-client.js";
import type { ResolvedGcsOptions } from "./options.js";

/** What the object operations need: the bucket handle, the batch client and the resolved options. */
export interface GcsTarget {
  bucket: Bucket;
  /** One per backend: it remembers whether the endpoint has a batch API. */
  batch: BatchClient;
  options: ResolvedGcsOptions;
}
