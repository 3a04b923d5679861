import { ConfigError, normalizeStoragePrefix } from "@flowstate/shared-state";

/** One raw option value and where it came from, for messages that say what to fix. */
export interface RawValue {
  value: unknown;
  /** e.g. `[s3_state_backend] part_size` or `"partSize" in [workers] state_backend_kwargs`. */
  label: string;
  where: { source: string; section: string; key: string };
  /** Short backend name in messages: `[flowstate] [s3] …`. */
  backend: string;
}

/** Turns a raw value into an option's value, or throws a {@link ConfigError} saying what is accepted. */
export type OptionParser<T> = (raw: RawValue) => T;

/** The error for a value of the wrong kind: names the option, its source, what is accepted and what came. */
export function invalidOption(raw: RawValue, expected: string): ConfigError {
  const shown = preview(raw.value);
  return new ConfigError(
    `[flowstate] [${raw.backend}] Invalid ${raw.label}: expected ${expected}, got ${shown}.`,
    { ...raw.where, value: shown },
  );
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

/** A whole number in `[min, max]` (no upper bound without `max`), as a JSON number or a string of digits. */
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

/** A folder inside the bucket, normalised by shared-state (no `.`/`..`/empty segments). */
export const prefixPath: OptionParser<string> = (raw) => {
  try {
    return normalizeStoragePrefix(text(raw), raw.label);
  } catch (error) {
    if (!(error instanceof ConfigError) || error.message.startsWith("[flowstate]")) throw error;
    throw new ConfigError(
      `[flowstate] [${raw.backend}] ${error.message}`,
      { ...raw.where, value: text(raw) },
      { cause: error },
    );
  }
};

/** What {@link endpointUrl} says in its messages. */
export interface EndpointMessages {
  /** A URL for "such as …", e.g. `http://127.0.0.1:9000`. */
  example: string;
  /** Where credentials go instead, e.g. `Use the AWS SDK's credential chain (…).` */
  credentialAdvice: string;
}

/** An http(s) URL without credentials in it; a trailing `/` is dropped. */
export function endpointUrl(messages: EndpointMessages): OptionParser<string> {
  return (raw) => {
    const endpoint = text(raw);
    const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
    // Checked first, and the value never echoed: it holds a secret.
    if (url?.username || url?.password) {
      throw new ConfigError(
        `[flowstate] [${raw.backend}] Invalid ${raw.label}: it must not contain credentials. ${messages.credentialAdvice}`,
        raw.where,
      );
    }
    if (url?.protocol !== "http:" && url?.protocol !== "https:") {
      throw invalidOption(raw, `an http:// or https:// URL such as "${messages.example}"`);
    }
    return endpoint.replace(/\/+$/, "");
  };
}

function preview(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : String(value);
}
