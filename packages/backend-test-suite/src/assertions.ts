import { expect } from "vitest";

const SHOWN_CHARS = 32;

/** Index of the first UTF-16 unit where `a` and `b` differ, or -1 when they are equal. */
export function firstDifference(a: string, b: string): number {
  if (a === b) return -1;
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i += 1) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return i;
  }
  return shorter;
}

/**
 * Asserts that `actual` is exactly `expected`. On failure the message names the first differing
 * offset and shows a few characters around it, instead of dumping megabytes.
 */
export function expectSameString(actual: unknown, expected: string, what: string): void {
  if (actual === expected) return;
  if (typeof actual !== "string") {
    expect.fail(`${what}: expected a string of length ${expected.length}, got ${describeValue(actual)}`);
  }
  const at = firstDifference(actual, expected);
  const around = (s: string) => JSON.stringify(s.slice(Math.max(0, at - 8), at + SHOWN_CHARS));
  expect.fail(
    `${what}: value differs at offset ${at} (expected length ${expected.length}, got ${actual.length}); ` +
      `expected ${around(expected)}, got ${around(actual)}`,
  );
}

/** Shape of a flowstate error, checked by name and code: a plugin may carry its own copy of the classes. */
export interface ExpectedStateError {
  name: string;
  code: string;
  /** For backend errors: the operation that must be named. */
  operation?: string;
}

/**
 * Awaits `promise`, asserts that it rejects with the flowstate error described by `expected`,
 * and returns the error. Checks `name` and `code` rather than `instanceof`, because a backend
 * may have been built against another copy of `@flowstate/shared-state`.
 */
export async function expectStateError(
  promise: Promise<unknown>,
  expected: ExpectedStateError,
  what: string,
): Promise<Error & Record<string, unknown>> {
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await promise };
  } catch (error) {
    outcome = { ok: false, error };
  }
  if (outcome.ok) {
    expect.fail(
      `${what}: expected ${expected.name} (${expected.code}), but it resolved to ${describeValue(outcome.value)}`,
    );
  }
  const error = outcome.error as Error & Record<string, unknown>;
  expect(error, `${what}: rejected with something that is not an Error`).toBeInstanceOf(Error);
  expect({ name: error.name, code: error.code }, `${what}: wrong error (${error.message})`).toEqual({
    name: expected.name,
    code: expected.code,
  });
  if (expected.operation !== undefined) {
    expect(error.operation, `${what}: the error must name the operation`).toBe(expected.operation);
    expect(
      typeof error.backend === "string" && error.backend !== "",
      `${what}: the error must name the backend`,
    ).toBe(true);
  }
  expect(error.message.length, `${what}: the error message must say what failed`).toBeGreaterThan(10);
  return error;
}

/** Expected shape of a refused reference. */
export const BAD_REFERENCE: ExpectedStateError = {
  name: "StateReferenceError",
  code: "FLOWSTATE_BAD_REFERENCE",
  operation: "deserialize",
};

/** Expected shape of a good reference whose object is gone. */
export const OBJECT_MISSING: ExpectedStateError = {
  name: "StateObjectMissingError",
  code: "FLOWSTATE_OBJECT_MISSING",
  operation: "deserialize",
};

/** Expected shape of a rejected key. */
export const INVALID_KEY: ExpectedStateError = {
  name: "InvalidStateKeyError",
  code: "FLOWSTATE_INVALID_KEY",
};

/** Expected shape of a rejected scope. */
export const INVALID_SCOPE: ExpectedStateError = {
  name: "InvalidScopeError",
  code: "FLOWSTATE_INVALID_SCOPE",
};

/** Expected shape of a rejected value. */
export const INVALID_VALUE: ExpectedStateError = {
  name: "InvalidStateValueError",
  code: "FLOWSTATE_INVALID_VALUE",
};

function describeValue(value: unknown): string {
  if (typeof value === "string") {
    return `a string of length ${value.length} (${JSON.stringify(value.slice(0, SHOWN_CHARS))})`;
  }
  return value === undefined ? "undefined" : `${typeof value} ${String(value).slice(0, SHOWN_CHARS)}`;
}
