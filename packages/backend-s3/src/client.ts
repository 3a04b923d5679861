import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { ResolvedS3Options } from "./options.js";

/**
 * The S3 client for these options. Credentials are left to the SDK's default provider chain
 * on purpose: they never pass through flowstate's options, references or messages.
 *
 * Every wait is bounded: `connectTimeoutMs` to open a connection, `requestTimeoutMs` to the
 * answer of each request (`throwOnRequestTimeout`: without it the SDK only logs a warning and a
 * silent endpoint hangs forever) and for a connection idle in the middle of a body, and
 * `maxAttempts` tries with the SDK's standard exponential backoff and jitter. Retrying any request
 * is safe: every write goes to a new, uniquely named version, and deletes are idempotent.
 */
export function createS3Client(options: ResolvedS3Options): S3Client {
  const checksums = options.checksums === "when_required" ? "WHEN_REQUIRED" : "WHEN_SUPPORTED";
  const config: S3ClientConfig = {
    forcePathStyle: options.forcePathStyle,
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    maxAttempts: options.maxAttempts,
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: options.requestTimeoutMs,
    },
  };
  if (options.region !== undefined) config.region = options.region;
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  return new S3Client(config);
}
