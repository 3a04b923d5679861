import {
  IdempotencyStrategy,
  RETRYABLE_ERR_FN_DEFAULT,
  Storage,
  type StorageOptions,
} from "@google-cloud/storage";
import type { ResolvedGcsOptions } from "./options.js";

// A dead or unreachable endpoint should fail a task in seconds, not after the client's default
// of up to 10 minutes of backoff. Transient failures (429, 5xx, resets) get two retries about a
// second apart. The client retries requests that got no answer at all (a refused connection
// too) by this count whatever `retryableErrorFn` says, so the delay cap is what keeps a dead
// endpoint at about 2 s per call.
const MAX_RETRIES = 2;
const MAX_RETRY_DELAY_S = 1;
const TOTAL_TIMEOUT_S = 30;
// Nothing listening, or a host name that does not resolve: retrying only delays the error.
// (Honoured by resumable uploads and by requests that got an answer.)
const PERMANENT_NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND"]);

/**
 * The Storage client for these options. Credentials are left to Google's Application Default
 * Credentials on purpose: they never pass through flowstate's options, references or messages.
 * With `apiEndpoint` (an emulator), requests carry no credentials at all.
 */
export function createStorage(options: ResolvedGcsOptions): Storage {
  const config: StorageOptions = {
    retryOptions: {
      autoRetry: true,
      maxRetries: MAX_RETRIES,
      maxRetryDelay: MAX_RETRY_DELAY_S,
      totalTimeout: TOTAL_TIMEOUT_S,
      // Writing the same value to the same name, or deleting a name, twice is harmless here.
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
      retryableErrorFn: (error) => !isPermanentNetworkError(error) && RETRYABLE_ERR_FN_DEFAULT(error),
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
