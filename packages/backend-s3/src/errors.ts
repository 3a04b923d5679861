import { StateBackendError, type StateBackendOperation } from "@flowstate/shared-state";
import type { ResolvedS3Options } from "./options.js";

/** Short backend name in every message: `[flowstate] [s3] …`. */
export const BACKEND = "s3";

const CREDENTIAL_ERRORS = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "AllAccessDisabled",
]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "TimeoutError",
  "RequestTimeout",
]);

/** The `s3://bucket/key` of an object (or a prefix), for messages and `location`. */
export function s3Url(bucket: string, key = ""): string {
  return `s3://${bucket}/${key}`;
}

/**
 * Wraps an SDK failure in a {@link StateBackendError} whose message says what to fix. Messages
 * of credential failures carry only the error code: servers echo key ids and signing details.
 */
export function wrapS3Error(
  error: unknown,
  operation: StateBackendOperation,
  location: string,
  options: ResolvedS3Options,
): StateBackendError {
  if (error instanceof StateBackendError) return error;
  return new StateBackendError(explain(error, options), {
    backend: BACKEND,
    operation,
    location,
    cause: error,
  });
}

function explain(error: unknown, options: ResolvedS3Options): string {
  const name = errorName(error);
  if (name === "NoSuchBucket") {
    return `bucket '${options.bucket}' does not exist: create it or fix [s3_state_backend] bucket.`;
  }
  if (name !== undefined && CREDENTIAL_ERRORS.has(name)) {
    return `credentials refused (${name}): check the credentials the AWS SDK found (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role) and that they may read and write ${s3Url(options.bucket, options.prefix)}.`;
  }
  if (name === "CredentialsProviderError") {
    return "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an instance/container role.";
  }
  if (isRegionMissing(error)) {
    return 'no region configured: set [s3_state_backend] region (e.g. "eu-west-1") or AWS_REGION.';
  }
  if (isNetworkError(error)) {
    const where = options.endpoint ?? `S3 in region ${options.region ?? "(SDK default)"}`;
    return `cannot reach endpoint ${where}: is the server running? Check [s3_state_backend] endpoint and the network (${networkCode(error)}).`;
  }
  return `${name ?? "Error"}: ${messageOf(error)}${statusHint(error)}`;
}

function errorName(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { Code, name } = error as { Code?: unknown; name?: unknown };
  if (typeof Code === "string") return Code;
  return typeof name === "string" ? name : undefined;
}

function isRegionMissing(error: unknown): boolean {
  return error instanceof Error && /region is missing/i.test(error.message);
}

/** Whether `error` (or an error it wraps) is a connection failure rather than an S3 answer. */
function isNetworkError(error: unknown): boolean {
  return networkCode(error) !== undefined;
}

function networkCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== "object" || error === null || depth > 4) return undefined;
  const { code, name, cause, errors } = error as {
    code?: unknown;
    name?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  for (const candidate of [code, name]) {
    if (typeof candidate === "string" && NETWORK_CODES.has(candidate)) return candidate;
  }
  const nested = [cause, ...(Array.isArray(errors) ? errors : [])];
  for (const inner of nested) {
    const found = networkCode(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

function statusHint(error: unknown): string {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return typeof status === "number" ? ` (HTTP ${status})` : "";
}
