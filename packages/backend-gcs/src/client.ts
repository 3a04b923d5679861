import { connectionFailure } from "@flowstate/object-storage-backend";
import {
  IdempotencyStrategy,
  RETRYABLE_ERR_FN_DEFAULT,
  Storage,
  type StorageOptions,
} from "@google-cloud/storage";
import type { ResolvedGcsOptions } from "./options.js";

// Transient failures (429, 5xx, resets, requests that got no answer) are retried about a second
// apart, not after the client's default of up to 64 s of backoff.
const MAX_RETRY_DELAY_S = 1;
// Nothing listening, or a host name that does not resolve: retrying only delays the error.
// (Honoured by resumable uploads and by requests that got an answer.)
export const PERMANENT_NETWORK_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "ENOTFOUND"]);

/**
 * The Storage client for these options. Credentials are left to Google's Application Default
 * Credentials on purpose: they never pass through flowstate's options, references or messages.
 * With `apiEndpoint` (an emulator), requests carry no credentials at all.
 *
 * Every wait is bounded. Google's client times a request with one timer from the moment it has a
 * socket, connecting included, to the answer: it gets `connectTimeoutMs + requestTimeoutMs`.
 * Resumable uploads and the bodies of reads are watched by the backend itself (see `idle.ts`).
 * A request is tried `maxAttempts` times in all (a request that got no answer too, whatever
 * `retryableErrorFn` says). Retrying any request is safe: every write goes to a new, uniquely
 * named version, and deleting a name twice is harmless.
 */
export function createStorage(options: ResolvedGcsOptions): Storage {
  const { connectTimeoutMs, requestTimeoutMs, maxAttempts } = options;
  const perRequestMs = connectTimeoutMs + requestTimeoutMs;
  const config: StorageOptions = {
    timeout: perRequestMs,
    retryOptions: {
      // maxRetries 0 would be read as "the default" (3): turn retries off instead.
      autoRetry: maxAttempts > 1,
      maxRetries: maxAttempts - 1,
      maxRetryDelay: MAX_RETRY_DELAY_S,
      // Never cut the attempts short: every one may take its full time, plus the delays between.
      totalTimeout: Math.ceil(maxAttempts * (perRequestMs / 1000 + MAX_RETRY_DELAY_S)),
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
      // The client's default leaves out a request that timed out (a simple upload's, say).
      retryableErrorFn: (error) =>
        !isPermanentNetworkError(error) &&
        (RETRYABLE_ERR_FN_DEFAULT(error) || connectionFailure(error)?.kind === "timeout"),
    },
  };
  if (options.projectId !== undefined) config.projectId = options.projectId;
  if (options.apiEndpoint !== undefined) {
    config.apiEndpoint = options.apiEndpoint;
    config.useAuthWithCustomEndpoint = false;
  }
  return new Storage(config);
}

function isPermanentNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && PERMANENT_NETWORK_CODES.has(code);
}
