// What the big-value group and its child share: the job a child runs, what it sends back, and the value.
import { TaskScope } from "@flowstate/shared-state";

/** Where the child finds the S3 server. */
export interface S3Endpoint {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
}

/** Where the child finds the GCS emulator. */
export interface GcsEndpoint {
  apiEndpoint: string;
  projectId: string;
  bucket: string;
}

/** What one child runs. */
export interface BigValueJob {
  store: "s3" | "gcs";
  op: "set" | "get";
  side: "raw" | "flowstate";
  bytes: number;
  s3: S3Endpoint;
  gcs?: GcsEndpoint | undefined;
  /** The object to write (set) or read (get): a raw object name, or the flowstate key. */
  key: string;
  /** The reference a flowstate `get` reads. */
  ref?: string | undefined;
}

/** What the child sends back. */
export interface BigValueResult {
  ms: number;
  /** RSS after the value was built and a full GC, before the operation. */
  baselineRss: number;
  /** The highest RSS seen during the operation (samples, and the process's max RSS when higher than before). */
  peakRss: number;
}

export const bigScope = new TaskScope({ dagId: "bench", runId: "big", taskId: "task" });

/** An ASCII value of `bytes` characters as one flat string (V8 keeps `repeat` as a rope until it is read). */
export function bigText(bytes: number): string {
  const value = "flowstate-bench-".repeat(Math.ceil(bytes / 16)).slice(0, bytes);
  // A regexp needs a flat subject: this flattens the rope once, here, not inside the measured call.
  /^f/.test(value);
  return value;
}
