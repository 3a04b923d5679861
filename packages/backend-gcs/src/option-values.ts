import { ConfigError, normalizeStoragePrefix } from "@flowstate/shared-state";

/** One raw option value and where it came from, for messages that say what to fix. */
export interface RawValue {
  value: unknown;
  /** e.g. `[gcs_state_backend] resumable_threshold` or `"resumableThreshold" in [workers] state_backend_kwargs`. */
  label: string;
  where: { source: string; section: string; key: string };
}

/** Turns a raw value into an option's value, or throws a {@link ConfigError} saying what is accepted. */
export type OptionParser<T> = (raw: RawValue) => T;

/** Where Google's client finds credentials, for messages that point there. */
export const ADC_HINT =
  "GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, or the workload's service account";

/** The error for a value of the wrong kind: names the option, its source, what is accepted and what came. */
export function invalidOption(raw: RawValue, expected: string): ConfigError {
  const shown = preview(raw.value);
  return new ConfigError(`[flowstate] [gcs] Invalid ${raw.label}: expected ${expected}, got ${shown}.`, {
    ...raw.where,
    value: shown,
  });
}

/** A string, trimmed. */
export const text: OptionParser<string> = (raw) => {
  if (typeof raw.value !== "string") throw invalidOption(raw, "a string");
  return raw.value.trim();
};

/** A whole number `≥ min`, as a JSON number or a string of digits. */
export function integerAtLeast(min: number): OptionParser<number> {
  const expected = `an integer ≥ ${min}`;
  return (raw) => {
    const { value } = raw;
    const number = typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof number !== "number" || !Number.isSafeInteger(number) || number < min) {
      throw invalidOption(raw, expected);
    }
    return number;
  };
}

/** One of `allowed` (case-insensitive). */
export function oneOf<T extends string>(...allowed: T[]): OptionParser<T> {
  return (raw) => {
    const spelled = typeof raw.value === "string" ? raw.value.trim().toLowerCase() : undefined;
    const found = allowed.find((a) => a === spelled);
    if (found === undefined) throw invalidOption(raw, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
    return found;
  };
}

/**
 * A bucket name by GCS's rules: 3-63 characters (up to 222 in dot-separated parts of at most
 * 63), lowercase letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit.
 * `""` stays `""`, for the "missing required option" message.
 */
export const bucketName: OptionParser<string> = (raw) => {
  const bucket = text(raw);
  if (bucket === "") return bucket;
  if (bucket.startsWith("gs://")) {
    throw invalidOption(raw, 'a bucket name without "gs://" (put a folder inside the bucket in `prefix`)');
  }
  const parts = bucket.split(".");
  if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(bucket) || parts.some((p) => p === "" || p.length > 63)) {
    throw invalidOption(
      raw,
      'a bucket name of 3-63 lowercase letters, digits, hyphens, underscores and dots (e.g. "my-state")',
    );
  }
  return bucket;
};

/** A folder inside the bucket, normalised by shared-state (no `.`/`..`/empty segments). */
export const prefixPath: OptionParser<string> = (raw) => {
  try {
    return normalizeStoragePrefix(text(raw), raw.label);
  } catch (error) {
    if (!(error instanceof ConfigError) || error.message.startsWith("[flowstate]")) throw error;
    throw new ConfigError(
      `[flowstate] [gcs] ${error.message}`,
      { ...raw.where, value: text(raw) },
      { cause: error },
    );
  }
};

/** A project id such as `my-project-123` (GCS wants 6-30 characters; emulators take shorter ones). */
export const projectId: OptionParser<string> = (raw) => {
  const id = text(raw);
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(id)) throw invalidOption(raw, 'a project id such as "my-project-123"');
  return id;
};

/** An http(s) URL without credentials in it; a trailing `/` is dropped. */
export const endpointUrl: OptionParser<string> = (raw) => {
  const endpoint = text(raw);
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  // Checked first, and the value never echoed: it holds a secret.
  if (url?.username || url?.password) {
    throw new ConfigError(
      `[flowstate] [gcs] Invalid ${raw.label}: it must not contain credentials. Use Google's Application Default Credentials (${ADC_HINT}).`,
      raw.where,
    );
  }
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw invalidOption(raw, 'an http:// or https:// URL such as "http://127.0.0.1:9199"');
  }
  return endpoint.replace(/\/+$/, "");
};

function preview(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : String(value);
}
