import { explainConnectionFailure, objectUrl, truncatedMessage } from "@flowstate/object-storage-backend";
import { StateBackendError, type StateBackendOperation, sanitizedCause } from "@flowstate/shared-state";
import { GCS_STORE } from "./identity.js";
import { ADC_HINT } from "./option-values.js";
import type { ResolvedGcsOptions } from "./options.js";

/** The HTTP status of a client error, when the server answered. */
export function statusOf(error: unknown): number | undefined {
  const { code, status, response } = (error ?? {}) as {
    code?: unknown;
    status?: unknown;
    response?: { status?: unknown; statusCode?: unknown };
  };
  for (const candidate of [code, status, response?.status, response?.statusCode]) {
    if (typeof candidate === "number" && candidate >= 100 && candidate < 600) return candidate;
  }
  return undefined;
}

/** Whether a 404 is GCS saying the bucket (not the object) does not exist. */
export function isBucketMissing(error: unknown): boolean {
  return statusOf(error) === 404 && /bucket does not exist/i.test(messageOf(error));
}

/**
 * Whether a 404 is GCS saying the object does not exist. Any other 404 (a missing bucket, a wrong
 * endpoint path, a proxy's error page) is a failure to report, not a silently empty state.
 */
export function isObjectMissing(error: unknown): boolean {
  return statusOf(error) === 404 && /^no such object/i.test(messageOf(error));
}

/**
 * Wraps a client failure in a {@link StateBackendError} whose message says what to fix. The
 * cause is a copy without the request and response: the client's errors carry the request's
 * headers, and with them the OAuth access token.
 */
export function wrapGcsError(
  error: unknown,
  operation: StateBackendOperation,
  location: string,
  options: ResolvedGcsOptions,
): StateBackendError {
  return new StateBackendError(explainGcsError(error, options), {
    backend: GCS_STORE.backend,
    operation,
    location,
    cause: gcsCause(error),
  });
}

/** What went wrong and what to fix, for a client failure. */
export function explainGcsError(error: unknown, options: ResolvedGcsOptions): string {
  const status = statusOf(error);
  if (isBucketMissing(error)) {
    return `bucket '${options.bucket}' does not exist: create it or fix [gcs_state_backend] bucket.`;
  }
  // Credential failures carry only the status and reason: GCS names the principal in its text.
  if (status === 401) {
    // Without any credentials the client sends the request anonymously: GCS answers 401 too.
    return `credentials missing or refused (HTTP 401${reasonHint(error)}): set or check the credentials Google's client uses (${ADC_HINT}).`;
  }
  if (status === 403) {
    return `permission denied (HTTP 403${reasonHint(error)}): give the credentials' principal read, write and delete access to objects under ${objectUrl(GCS_STORE.scheme, options.bucket, options.prefix)} (e.g. roles/storage.objectUser), or fix the credentials (${ADC_HINT}).`;
  }
  if (/could not load the default credentials/i.test(messageOf(error))) {
    return `no Google credentials found: set ${ADC_HINT}.`;
  }
  const connection = explainConnectionFailure(
    error,
    {
      endpoint: options.apiEndpoint ?? "https://storage.googleapis.com",
      configSection: GCS_STORE.configSection,
      endpointKey: "api_endpoint",
      options,
    },
    ["ECONNABORTED"], // the client's name for a connection it gave up on
  );
  if (connection !== undefined) return connection;
  return `${nameOf(error)}: ${truncatedMessage(error)}${status === undefined ? "" : ` (HTTP ${status})`}`;
}

/**
 * An error shaped like the client's own (`code` the HTTP status, `errors` with GCS's reasons, the
 * message of GCS's error document), for an answer read without the client (a streamed upload's
 * PUT, a batch and its calls), so that {@link explainGcsError} explains it the same way.
 */
export function answerError(status: number, body: string, name: string): Error {
  let message = body.trim().slice(0, 300) || `HTTP ${status}`;
  let errors: unknown[] = [];
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; errors?: unknown } };
    if (typeof parsed.error?.message === "string") message = parsed.error.message;
    if (Array.isArray(parsed.error?.errors)) errors = parsed.error.errors;
  } catch {
    // Not JSON: the text (or the status) is the message.
  }
  return Object.assign(new Error(message), { name, code: status, errors });
}

/**
 * The client error as a `cause`: shared-state's sanitised copy (name, redacted message, code,
 * reasons, causes; no request, response or headers, which carry the OAuth access token), with the
 * HTTP status the client keeps in places the copy does not look.
 */
export function gcsCause(error: unknown): Error {
  const cause = sanitizedCause(error);
  const status = statusOf(error);
  return status === undefined ? cause : Object.assign(cause, { status });
}

function reasonsOf(error: unknown): string[] {
  const errors = (error as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((e) => (typeof e?.reason === "string" ? [e.reason as string] : []));
}

function reasonHint(error: unknown): string {
  const reasons = reasonsOf(error);
  return reasons.length ? `, ${reasons.join(", ")}` : "";
}

function nameOf(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" && name !== "" ? name : "Error";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
