import { InvalidScopeError, InvalidStateKeyError, InvalidStateValueError } from "./errors.js";

/** Longest accepted state key, in UTF-16 code units (Airflow's `ID_LEN`). */
export const MAX_STATE_KEY_LENGTH = 250;
/** Longest accepted dag, run or task id, in UTF-16 code units (Airflow's `ID_LEN`). */
export const MAX_ID_LENGTH = 250;
/** Longest accepted asset name or uri (Airflow's asset column length). */
export const MAX_ASSET_REF_LENGTH = 1500;

// Unicode's control characters (category Cc): C0, DEL and C1. They break logs, terminals (U+009B
// is a CSI escape), file names and PostgreSQL text columns (NUL).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks a task-state or asset-state key at the boundary, before anything is written.
 * @throws {@link InvalidStateKeyError} naming the problem.
 */
export function validateStateKey(key: unknown): asserts key is string {
  const problem = identifierProblem(key, MAX_STATE_KEY_LENGTH);
  if (problem) throw new InvalidStateKeyError(`Invalid state key ${preview(key)}: ${problem}.`);
}

/**
 * Checks a state value: any string a JS engine holds, as long as it is well-formed UTF-16, so
 * that it survives the UTF-8 round trip through storage byte for byte.
 * @throws {@link InvalidStateValueError}
 */
export function validateStateValue(value: unknown, key?: string): asserts value is string {
  const forKey = key === undefined ? "" : ` for key '${key}'`;
  if (typeof value !== "string") {
    throw new InvalidStateValueError(
      `Invalid state value${forKey}: expected a string, got ${describeType(value)}. Serialize it first (e.g. JSON.stringify).`,
    );
  }
  if (!value.isWellFormed()) {
    throw new InvalidStateValueError(
      `Invalid state value${forKey}: it contains a lone UTF-16 surrogate, which cannot be stored without changing it.`,
    );
  }
}

/** Checks one identifier of a scope (dag id, run id, task id, asset name or uri). */
export function validateScopeId(
  field: string,
  value: unknown,
  maxLength = MAX_ID_LENGTH,
): asserts value is string {
  const problem = identifierProblem(value, maxLength);
  if (problem) throw new InvalidScopeError(`Invalid ${field} ${preview(value)}: ${problem}.`);
}

// Strings that passed identifierProblem: a task checks the same few keys and ids on every call,
// and a string is immutable, so the answer cannot change. (The length limit is checked again:
// it is the one rule that depends on the caller.) Bounded: starts over when full.
const VALID_IDENTIFIERS = new Set<string>();
const MAX_REMEMBERED = 4096;

function identifierProblem(value: unknown, maxLength: number): string | undefined {
  if (typeof value === "string" && value.length <= maxLength && VALID_IDENTIFIERS.has(value)) {
    return undefined;
  }
  const problem = checkIdentifier(value, maxLength);
  // Only short strings (keys and ids; not 1,500-character asset uris), to keep the memory small.
  if (problem === undefined && (value as string).length <= MAX_ID_LENGTH) {
    if (VALID_IDENTIFIERS.size >= MAX_REMEMBERED) VALID_IDENTIFIERS.clear();
    VALID_IDENTIFIERS.add(value as string);
  }
  return problem;
}

function checkIdentifier(value: unknown, maxLength: number): string | undefined {
  if (typeof value !== "string") return `expected a string, got ${describeType(value)}`;
  if (value.length === 0) return "it must not be empty";
  if (value.length > maxLength) return `it is ${value.length} characters long; the limit is ${maxLength}`;
  if (!value.isWellFormed()) return "it contains a lone UTF-16 surrogate";
  if (CONTROL_CHARACTERS.test(value)) return "it contains a control character";
  return undefined;
}

function preview(value: unknown): string {
  if (typeof value !== "string") return `(${describeType(value)})`;
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(shown);
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}
