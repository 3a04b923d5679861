import type { ObjectStorageOptions } from "../types.js";
import type { OptionSpec } from "./resolve.js";
import { integerIn, type OptionParser, oneOf, prefixPath } from "./values.js";

type CommonSpec = OptionSpec<ObjectStorageOptions>;

/** The required `bucket` option, checked by the store's own naming rules. */
export function bucketOption(parse: OptionParser<string>): CommonSpec {
  return { name: "bucket", key: "bucket", parse, required: true };
}

/** The `prefix` option: a folder inside the bucket, `""` by default. */
export const PREFIX_OPTION: CommonSpec = { name: "prefix", key: "prefix", parse: prefixPath, default: "" };

/** The `compression` option: `none` (the default), `gzip` or `brotli`. */
export const COMPRESSION_OPTION: CommonSpec = {
  name: "compression",
  key: "compression",
  parse: oneOf("none", "gzip", "brotli"),
  default: "none",
};

// An hour: longer waits are a hang by another name (and Node's timers overflow past 2^31 ms).
const MAX_TIMEOUT_MS = 3_600_000;
// Attempts back off exponentially: more than this only delays the error.
const MAX_ATTEMPTS = 20;

/**
 * The bounded-wait options (`connect_timeout_ms` 5000, `request_timeout_ms` 30000,
 * `max_attempts` 3): see `BoundedWaitOptions` for what each bounds.
 */
export const BOUNDED_WAIT_OPTIONS: readonly CommonSpec[] = [
  {
    name: "connectTimeoutMs",
    key: "connect_timeout_ms",
    parse: integerIn(1, MAX_TIMEOUT_MS),
    default: 5_000,
  },
  {
    name: "requestTimeoutMs",
    key: "request_timeout_ms",
    parse: integerIn(1, MAX_TIMEOUT_MS),
    default: 30_000,
  },
  { name: "maxAttempts", key: "max_attempts", parse: integerIn(1, MAX_ATTEMPTS), default: 3 },
];
