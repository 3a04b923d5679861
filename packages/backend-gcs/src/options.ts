import type { BoundedWaitOptions } from "@flowstate/object-storage-backend";

/** How values are compressed at rest. Recorded on each object, so reads need no configuration. */
export type GcsCompression = "none" | "gzip" | "brotli";

/**
 * Options of {@link GcsStateBackend}. Each can be given in `[workers] state_backend_kwargs` (JSON,
 * these camelCase names or the snake_case config keys) or in the config's `[gcs_state_backend]`
 * section (snake_case keys); kwargs win. Credentials are never an option: they come from Google's
 * Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth
 * application-default login`, or the workload's service account).
 */
export interface GcsStateBackendOptions extends BoundedWaitOptions {
  /** The bucket that holds state objects. Required. Config key `bucket`. */
  bucket: string;
  /**
   * A folder inside the bucket for every object this backend writes, e.g. `flowstate/prod`.
   * Config key `prefix`.
   * @default ""
   */
  prefix?: string;
  /**
   * The Google Cloud project of the client. Object reads and writes do not need it.
   * Config key `project_id`.
   * @default what Application Default Credentials say (GOOGLE_CLOUD_PROJECT, the credentials file)
   */
  projectId?: string;
  /**
   * A GCS-API-compatible endpoint, e.g. `http://127.0.0.1:9199` (an emulator). Requests to it are
   * sent without credentials. Config key `api_endpoint`.
   * @default Google Cloud Storage (`https://storage.googleapis.com`)
   */
  apiEndpoint?: string;
  /**
   * Values of at least this many UTF-8 bytes are streamed as a resumable upload; smaller ones are
   * one simple upload. Config key `resumable_threshold`.
   * @default 8388608 (8 MiB)
   */
  resumableThreshold?: number;
  /**
   * Compress values at rest (done by flowstate, not by GCS transcoding). Config key `compression`.
   * @default "none"
   */
  compression?: GcsCompression;
  /**
   * How long opening a connection may take, in milliseconds. Google's client times a request
   * with one timer, from the moment it has a socket (connecting included) to the answer: it is
   * set to `connectTimeoutMs + requestTimeoutMs`. Config key `connect_timeout_ms`.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * How long one request may wait for its answer, in milliseconds (see `connectTimeoutMs`); also
   * how long a resumable upload or the body of a read may go without progress. A silent
   * endpoint fails after it with an error that names the endpoint. Config key `request_timeout_ms`.
   * @default 30000
   */
  requestTimeoutMs?: number;
  /**
   * How many times one request is tried, at least 1 (the client's `retryOptions.maxRetries` is
   * `maxAttempts - 1`, with exponential backoff capped at 1 s between attempts). Every request is
   * safe to repeat: writes go to new, uniquely named versions. Config key `max_attempts`.
   * @default 3
   */
  maxAttempts?: number;
}

/** {@link GcsStateBackendOptions} after merging, defaults and validation. */
export interface ResolvedGcsOptions {
  bucket: string;
  /** Normalised: no leading or trailing `/`; `""` for none. */
  prefix: string;
  projectId: string | undefined;
  /** Without a trailing `/`. */
  apiEndpoint: string | undefined;
  resumableThreshold: number;
  compression: GcsCompression;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxAttempts: number;
}
