import { redactUrl } from "@flowstate/shared-state";
import type { ObjectStorageOptions } from "./types.js";

// Connection failures every Node HTTP client reports, whatever the storage service.
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);
// A request that got no answer in time: the AWS SDK's and Node's names, node-fetch's types
// (Google's client), S3's own `RequestTimeout`, and the OS giving up on a connection.
const TIMEOUT_NAMES = new Set(["TimeoutError", "RequestTimeout", "ETIMEDOUT", "ESOCKETTIMEDOUT"]);
const TIMEOUT_TYPES = new Set(["request-timeout", "body-timeout"]);
// Errors nest: an SDK error's `cause`, an AggregateError's `errors` (one per address tried).
const MAX_DEPTH = 4;

/** How a request failed without an answer from the storage service. */
export interface ConnectionFailure {
  /**
   * `timeout`: no answer within the time allowed; `not-http`: the endpoint answered with
   * something that is not HTTP (another service's port, TLS against plain HTTP);
   * `unreachable`: no connection (refused, reset, unknown host).
   */
  kind: "timeout" | "not-http" | "unreachable";
  /** The code or name that says so, e.g. `ECONNREFUSED`, `HPE_INVALID_CONSTANT`, `TimeoutError`. */
  code: string;
  /** For a timeout: it was opening the connection, not waiting for the answer, that took too long. */
  connecting: boolean;
}

/** Where a backend sends its requests, for messages about failed connections. */
export interface EndpointContext {
  /** The endpoint URL, or a description such as `S3 in region eu-west-1`. Shown through `redactUrl`. */
  endpoint: string;
  /** The backend's config section, e.g. `s3_state_backend`. */
  configSection: string;
  /** The config key of the endpoint option, e.g. `endpoint`. */
  endpointKey: string;
  options: Pick<ObjectStorageOptions, "connectTimeoutMs" | "requestTimeoutMs" | "maxAttempts">;
}

/**
 * What went wrong, and what to fix, when `error` is a request that got no answer (timed out, not
 * HTTP, unreachable); else `undefined`. The endpoint is shown without userinfo or query string.
 * @param extraCodes a client's own codes for an unreachable endpoint.
 */
export function explainConnectionFailure(
  error: unknown,
  context: EndpointContext,
  extraCodes: readonly string[] = [],
): string | undefined {
  const failure = connectionFailure(error, extraCodes);
  if (failure === undefined) return undefined;
  const { configSection: section, endpointKey, options } = context;
  const endpoint = redactUrl(context.endpoint);
  if (failure.kind === "timeout") {
    const [key, ms] = failure.connecting
      ? ["connect_timeout_ms", options.connectTimeoutMs]
      : ["request_timeout_ms", options.requestTimeoutMs];
    const attempts = options.maxAttempts === 1 ? "1 attempt" : `${options.maxAttempts} attempts`;
    return `endpoint ${endpoint} timed out: no answer within [${section}] ${key} = ${ms} ms (${attempts}, ${failure.code}). Check that the server is up and reachable; if it is only slow, raise [${section}] ${key}.`;
  }
  if (failure.kind === "not-http") {
    return `endpoint ${endpoint} did not answer like an HTTP server (${failure.code}): check that [${section}] ${endpointKey} names the storage server's port, with the right http:// or https://.`;
  }
  return `cannot reach endpoint ${endpoint}: is the server running? Check [${section}] ${endpointKey} and the network (${failure.code}).`;
}

/**
 * How `error`, or an error it wraps, is a request that got no answer from the server; else
 * `undefined` (the server answered: an HTTP status, an error document).
 * @param extraCodes a client's own codes for an unreachable endpoint.
 */
export function connectionFailure(
  error: unknown,
  extraCodes: readonly string[] = [],
): ConnectionFailure | undefined {
  const extra = new Set(extraCodes);
  return findFailure(error, 0, (code) => NETWORK_CODES.has(code) || extra.has(code));
}

/**
 * The network code (`ECONNREFUSED`, …, or one of `extraCodes`) when `error`, or an error it wraps,
 * is a connection failure rather than an answer from the server; else `undefined`.
 */
export function networkErrorCode(error: unknown, extraCodes: readonly string[] = []): string | undefined {
  return connectionFailure(error, extraCodes)?.code;
}

/** An error that says a request or stream got no data within `ms`: classified as a timeout. */
export function timeoutError(what: string, ms: number): Error {
  return Object.assign(new Error(`${what} within ${ms} ms`), { name: "TimeoutError", code: "ETIMEDOUT" });
}

/** The error's message, cut to 300 characters: servers can answer with whole HTML pages. */
export function truncatedMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

function findFailure(
  error: unknown,
  depth: number,
  isUnreachable: (code: string) => boolean,
): ConnectionFailure | undefined {
  if (typeof error !== "object" || error === null || depth > MAX_DEPTH) return undefined;
  const { code, errno, name, type, syscall, message, cause, errors } = error as Record<string, unknown>;
  for (const candidate of [code, errno, name, type]) {
    if (typeof candidate !== "string") continue;
    if (TIMEOUT_NAMES.has(candidate) || TIMEOUT_TYPES.has(candidate)) {
      const connecting = syscall === "connect" || /establish a connection/i.test(String(message));
      return { kind: "timeout", code: candidate, connecting };
    }
    if (candidate.startsWith("HPE_") || candidate === "EPROTO" || candidate.startsWith("ERR_SSL_")) {
      return { kind: "not-http", code: candidate, connecting: false };
    }
    if (isUnreachable(candidate)) return { kind: "unreachable", code: candidate, connecting: false };
  }
  for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    const found = findFailure(inner, depth + 1, isUnreachable);
    if (found) return found;
  }
  return undefined;
}
