// Connection failures every Node HTTP client reports, whatever the storage service.
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);
// Errors nest: an SDK error's `cause`, an AggregateError's `errors` (one per address tried).
const MAX_DEPTH = 4;

/**
 * The network code (`ECONNREFUSED`, …, or one of `extraCodes`) when `error`, or an error it wraps,
 * is a connection failure rather than an answer from the server; else `undefined`.
 */
export function networkErrorCode(error: unknown, extraCodes: readonly string[] = []): string | undefined {
  return findNetworkCode(error, new Set(extraCodes), 0);
}

/** The error's message, cut to 300 characters: servers can answer with whole HTML pages. */
export function truncatedMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

function findNetworkCode(error: unknown, extra: ReadonlySet<string>, depth: number): string | undefined {
  if (typeof error !== "object" || error === null || depth > MAX_DEPTH) return undefined;
  const { code, errno, name, cause, errors } = error as Record<string, unknown>;
  for (const candidate of [code, errno, name]) {
    if (typeof candidate === "string" && (NETWORK_CODES.has(candidate) || extra.has(candidate))) {
      return candidate;
    }
  }
  for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    const found = findNetworkCode(inner, extra, depth + 1);
    if (found) return found;
  }
  return undefined;
}
