/** How values are compressed at rest. Recorded on each object, so reads need no configuration. */
export type GcsCompression = "none" | "gzip" | "brotli";

/**
 * Options of {@link GcsStateBackend}. Each can be given in `[workers] state_backend_kwargs` (JSON,
 * these camelCase names or the snake_case config keys) or in the config's `[gcs_state_backend]`
 * section (snake_case keys); kwargs win. Credentials are never an option: they come from Google's
 * Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth
 * application-default login`, or the workload's service account).
 */
export interface GcsStateBackendOptions {
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
}
