import { ConfigError, type StateBackend } from "@flowstate/shared-state";

/** Options of {@link describeStateBackend}. */
export interface StateBackendSuiteOptions {
  /**
   * Makes a backend. Called more than once; every backend it returns must share one storage
   * (same bucket/namespace), like two workers. May be async.
   */
  create: () => StateBackend | Promise<StateBackend>;
  /**
   * Size in bytes of the "large value" case.
   * @default 8 * 1024 * 1024
   */
  largeValueBytes?: number;
  /** Turn groups off for a backend that lacks a capability; each skipped group shows as skipped. */
  skip?: { largeValues?: boolean; concurrency?: boolean };
  /**
   * Per-test timeout for slow remote stores.
   * @default 30_000
   */
  timeoutMs?: number;
}

/** {@link StateBackendSuiteOptions} with every default filled in. */
export interface ResolvedSuiteOptions {
  create: () => StateBackend | Promise<StateBackend>;
  largeValueBytes: number;
  skipLargeValues: boolean;
  skipConcurrency: boolean;
  timeoutMs: number;
}

const DEFAULT_LARGE_VALUE_BYTES = 8 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Fills in defaults and rejects options that would make the suite meaningless.
 * @throws {@link ConfigError} naming the bad option.
 */
export function resolveSuiteOptions(options: StateBackendSuiteOptions): ResolvedSuiteOptions {
  if (typeof options?.create !== "function") {
    throw new ConfigError("describeStateBackend: options.create must be a function that returns a backend.");
  }
  const largeValueBytes = options.largeValueBytes ?? DEFAULT_LARGE_VALUE_BYTES;
  if (!Number.isSafeInteger(largeValueBytes) || largeValueBytes < 1) {
    throw new ConfigError(
      `describeStateBackend: options.largeValueBytes must be a positive integer, got ${String(largeValueBytes)}.`,
    );
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigError(
      `describeStateBackend: options.timeoutMs must be a positive number, got ${timeoutMs}.`,
    );
  }
  return {
    create: options.create,
    largeValueBytes,
    skipLargeValues: options.skip?.largeValues === true,
    skipConcurrency: options.skip?.concurrency === true,
    timeoutMs,
  };
}
