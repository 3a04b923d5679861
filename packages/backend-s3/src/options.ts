import type { BoundedWaitOptions } from "@flowstate/object-storage-backend";

/** How values are compressed at rest. Recorded on each object, so reads need no configuration. */
export type S3Compression = "none" | "gzip" | "brotli";

/** When the SDK adds and checks payload checksums (its `requestChecksumCalculation`/`responseChecksumValidation`). */
export type S3Checksums = "when_supported" | "when_required";

/**
 * Options of {@link S3StateBackend}. Each can be given in `[workers] state_backend_kwargs` (JSON,
 * these camelCase names or the snake_case config keys) or in the config's `[s3_state_backend]`
 * section (snake_case keys); kwargs win. Credentials are never an option: they come from the AWS
 * SDK's default provider chain (environment, shared config/profile, container or instance role).
 */
export interface S3StateBackendOptions extends BoundedWaitOptions {
  /** The bucket that holds state objects. Required. Config key `bucket`. */
  bucket: string;
  /**
   * A folder inside the bucket for every object this backend writes, e.g. `flowstate/prod`.
   * Config key `prefix`.
   * @default ""
   */
  prefix?: string;
  /**
   * The region to sign requests for. Config key `region`.
   * @default the SDK's default (AWS_REGION, the profile's region)
   */
  region?: string;
  /**
   * An S3-compatible endpoint, e.g. `http://127.0.0.1:4568` (MinIO, s3rver, moto). Config key `endpoint`.
   * @default AWS S3 for the region
   */
  endpoint?: string;
  /**
   * Path-style addressing (`endpoint/bucket/key`); most S3-compatible servers need it.
   * Config key `force_path_style`.
   * @default false
   */
  forcePathStyle?: boolean;
  /**
   * Values of at least this many UTF-8 bytes are streamed as a multipart upload; smaller ones are
   * one PutObject. Config key `multipart_threshold`.
   * @default 8388608 (8 MiB)
   */
  multipartThreshold?: number;
  /**
   * Bytes per part of a multipart upload, at least 5 MiB (the S3 minimum).
   * Config key `part_size`.
   * @default 8388608 (8 MiB)
   */
  partSize?: number;
  /**
   * Parts uploaded at once. A multipart upload holds `partSize × (queueSize + 1)` bytes in memory
   * (the parts in flight and the one being encoded), whatever the size of the value.
   * Config key `queue_size`.
   * @default 4
   */
  queueSize?: number;
  /**
   * Compress values at rest. Config key `compression`.
   * @default "none"
   */
  compression?: S3Compression;
  /**
   * `"when_required"` for servers that mishandle flexible checksums (s3rver stores the
   * aws-chunked framing of a streamed upload inside the object otherwise). Config key `checksums`.
   * @default "when_supported"
   */
  checksums?: S3Checksums;
  /**
   * How long opening a connection may take, in milliseconds (the SDK's `connectionTimeout`).
   * Config key `connect_timeout_ms`.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * How long one request may wait for its answer, and a connection may stay idle while a body
   * streams in or out, in milliseconds (the SDK's `requestTimeout` with `throwOnRequestTimeout`,
   * and its `socketTimeout`). A silent endpoint fails after it with an error that names the
   * endpoint. Config key `request_timeout_ms`.
   * @default 30000
   */
  requestTimeoutMs?: number;
  /**
   * How many times one request is tried, at least 1 (the SDK's `maxAttempts`, with its standard
   * exponential backoff and jitter). Every request is safe to repeat: writes go to new, uniquely
   * named versions. Config key `max_attempts`.
   * @default 3
   */
  maxAttempts?: number;
}

/** {@link S3StateBackendOptions} after merging, defaults and validation. */
export interface ResolvedS3Options {
  bucket: string;
  /** Normalised: no leading or trailing `/`; `""` for none. */
  prefix: string;
  region: string | undefined;
  endpoint: string | undefined;
  forcePathStyle: boolean;
  multipartThreshold: number;
  partSize: number;
  queueSize: number;
  compression: S3Compression;
  checksums: S3Checksums;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxAttempts: number;
}

const MIB = 1024 * 1024;

/** The size both `multipartThreshold` and `partSize` default to. */
export const DEFAULT_PART_SIZE = 8 * MIB;
/** S3 refuses multipart parts smaller than this (except the last). */
export const MIN_PART_SIZE = 5 * MIB;
/** S3's largest part. */
export const MAX_PART_SIZE = 5 * 1024 * MIB;
