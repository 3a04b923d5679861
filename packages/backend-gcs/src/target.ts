import type { Bucket } from "@google-cloud/storage";
import type { ResolvedGcsOptions } from "./options.js";

/** What the object operations need: the bucket handle and the resolved options. */
export interface GcsTarget {
  bucket: Bucket;
  options: ResolvedGcsOptions;
}
