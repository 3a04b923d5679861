import { ConfigError, normalizeStoragePrefix } from "@flowstate/shared-state";

/** One raw option value and where it came from, for messages that say what to fix. */
export interface RawValue {
  value: unknown;
  /** e.g. `[s3_state_backend] part_size` or `"partSize" in [workers] state_backend_kwargs`. */
  label: string;
  where: { source: string; section: string; key: string };
}

/** Turns a raw value into an option's value, or throws a {@link ConfigError} saying what is accepted. */
export type OptionParser<T> = (raw: RawValue) => T;

/** The error for a value of the wrong kind: names the option, its source, what is accepted and what came. */
export function invalidOption(raw: RawValue, expected: string): ConfigError {
  const shown = preview(raw.value);
  return new ConfigError(`[flowstate] [s3] Invalid ${raw.label}: expected ${expected}, got ${shown}.`, {
    ...raw.where,
    value: shown,
  });
}

/** A string, trimmed. */
export const text: OptionParser<string> = (raw) => {
  if (typeof raw.value !== "string") throw invalidOption(raw, "a string");
  return raw.value.trim();
};

/** A JSON boolean, or one of Airflow's spellings: True/False, true/false, t/f, 1/0. */
export const boolean: OptionParser<boolean> = (raw) => {
  if (typeof raw.value === "boolean") return raw.value;
  const spelled = typeof raw.value === "string" ? raw.value.trim().toLowerCase() : undefined;
  if (spelled === "true" || spelled === "t" || spelled === "1") return true;
  if (spelled === "false" || spelled === "f" || spelled === "0") return false;
  throw invalidOption(raw, "a boolean (true or false)");
};

/** A whole number in `[min, max]`, as a JSON number or a string of digits. */
export function integerIn(min: number, max?: number): OptionParser<number> {
  const expected = max === undefined ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  return (raw) => {
    const { value } = raw;
    const number = typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof number !== "number" || !Number.isSafeInteger(number)) throw invalidOption(raw, expected);
    if (number < min || (max !== undefined && number > max)) throw invalidOption(raw, expected);
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

/** A bucket name: S3's rules (3-63 chars), plus the legacy names S3-compatible servers still allow. */
export const bucketName: OptionParser<string> = (raw) => {
  const bucket = text(raw);
  if (bucket.startsWith("s3://")) {
    throw invalidOption(raw, 'a bucket name without "s3://" (put a folder inside the bucket in `prefix`)');
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/.test(bucket)) {
    throw invalidOption(
      raw,
      'a bucket name of 3-63 lowercase letters, digits, dots and hyphens (e.g. "my-state")',
    );
  }
  return bucket;
};

/** A folder inside the bucket, normalised by shared-state (no `.`/`..`/empty segments). */
export const prefixPath: OptionParser<string> = (raw) => {
  try {
    return normalizeStoragePrefix(text(raw), raw.label);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      `[flowstate] [s3] ${error.message}`,
      { ...raw.where, value: text(raw) },
      { cause: error },
    );
  }
};

/** A region name such as `eu-west-1`. */
export const regionName: OptionParser<string> = (raw) => {
  const region = text(raw);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(region)) throw invalidOption(raw, 'a region name such as "eu-west-1"');
  return region;
};

/** An http(s) URL without credentials in it; a trailing `/` is dropped. */
export const endpointUrl: OptionParser<string> = (raw) => {
  const endpoint = text(raw);
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  // Checked first, and the value never echoed: it holds a secret.
  if (url?.username || url?.password) {
    throw new ConfigError(
      `[flowstate] [s3] Invalid ${raw.label}: it must not contain credentials. Use the AWS SDK's credential chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE).`,
      raw.where,
    );
  }
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw invalidOption(raw, 'an http:// or https:// URL such as "http://127.0.0.1:9000"');
  }
  return endpoint.replace(/\/+$/, "");
};

function preview(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : String(value);
}
