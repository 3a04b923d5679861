import { explainConnectionFailure, objectUrl, truncatedMessage } from "@flowstate/object-storage-backend";
import { StateBackendError, type StateBackendOperation, sanitizedCause } from "@flowstate/shared-state";
import { S3_STORE } from "./identity.js";
import type { ResolvedS3Options } from "./options.js";

const CREDENTIAL_ERRORS = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "AllAccessDisabled",
]);

/**
 * Wraps an SDK failure in a {@link StateBackendError} whose message says what to fix. Messages
 * of credential failures carry only the error code: servers echo key ids and signing details.
 * The cause is a sanitised copy: SDK errors carry the raw response, signing details and the
 * access key id, which `console.error(err)` would print.
 */
export function wrapS3Error(
  error: unknown,
  operation: StateBackendOperation,
  location: string,
  options: ResolvedS3Options,
): StateBackendError {
  return new StateBackendError(explain(error, options), {
    backend: S3_STORE.backend,
    operation,
    location,
    cause: sanitizedCause(error),
  });
}

function explain(error: unknown, options: ResolvedS3Options): string {
  const name = errorName(error);
  if (name === "NoSuchBucket") {
    return `bucket '${options.bucket}' does not exist: create it or fix [s3_state_backend] bucket.`;
  }
  if (name !== undefined && CREDENTIAL_ERRORS.has(name)) {
    return `credentials refused (${name}): check the credentials the AWS SDK found (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role) and that they may read and write ${objectUrl(S3_STORE.scheme, options.bucket, options.prefix)}.`;
  }
  if (name === "CredentialsProviderError") {
    return "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an instance/container role.";
  }
  if (isRegionMissing(error)) {
    return 'no region configured: set [s3_state_backend] region (e.g. "eu-west-1") or AWS_REGION.';
  }
  const endpoint = options.endpoint ?? `S3 in region ${options.region ?? "(SDK default)"}`;
  const connection = explainConnectionFailure(error, {
    endpoint,
    configSection: S3_STORE.configSection,
    endpointKey: "endpoint",
    options,
  });
  return connection ?? `${name ?? "Error"}: ${truncatedMessage(error)}${statusHint(error)}`;
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

function statusHint(error: unknown): string {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return typeof status === "number" ? ` (HTTP ${status})` : "";
}
