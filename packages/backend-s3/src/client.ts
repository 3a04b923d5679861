import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { ResolvedS3Options } from "./options.js";

// A dead or unreachable server should fail a task in seconds, not after the SDK's minutes of
// retries: a few attempts, a short connect timeout, and a socket idle timeout that still lets
// a slow multipart part through.
const MAX_ATTEMPTS = 3;
const CONNECTION_TIMEOUT_MS = 5_000;
const SOCKET_IDLE_TIMEOUT_MS = 60_000;

/**
 * The S3 client for these options. Credentials are left to the SDK's default provider chain
 * on purpose: they never pass through flowstate's options, references or messages.
 */
export function createS3Client(options: ResolvedS3Options): S3Client {
  const checksums = options.checksums === "when_required" ? "WHEN_REQUIRED" : "WHEN_SUPPORTED";
  const config: S3ClientConfig = {
    forcePathStyle: options.forcePathStyle,
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: SOCKET_IDLE_TIMEOUT_MS },
  };
  if (options.region !== undefined) config.region = options.region;
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  return new S3Client(config);
}
