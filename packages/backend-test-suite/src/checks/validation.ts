import { describe, expect } from "vitest";
import { expectStateError, INVALID_KEY, INVALID_VALUE } from "../assertions.js";
import { contract, HINTS } from "../hints.js";
import { writeRef } from "../refs.js";
import type { CheckContext } from "./context.js";

const BAD_KEYS: ReadonlyArray<readonly [string, unknown]> = [
  ["an empty key", ""],
  ["a key of 251 characters", "k".repeat(251)],
  ["a key with a control character", "a\u0000b"],
  ["a key with a C1 control character", "a\u009bb"],
  ["a key with a lone surrogate", "a\ud800"],
  ["a key that is not a string", 42],
];

const BAD_VALUES: ReadonlyArray<readonly [string, unknown]> = [
  ["a value that is not a string", 42],
  ["an object value", { a: 1 }],
  ["undefined", undefined],
  ["a value with a lone surrogate", "ok\udc00"],
];

/** Bad keys and values are refused with a typed error before anything is written. */
export function registerValidationChecks({ harness: h }: CheckContext): void {
  describe("bad input is refused before anything is written", () => {
    for (const [label, key] of BAD_KEYS) {
      contract(HINTS.invalidKey)(
        `${label} is InvalidStateKeyError from set, get, delete and the serialize hook`,
        async () => {
          const scope = h.taskScope();
          const k = key as string;
          await expectStateError(h.primary.set(scope, k, "v"), INVALID_KEY, "set");
          await expectStateError(h.primary.get(scope, k), INVALID_KEY, "get");
          await expectStateError(h.primary.delete(scope, k), INVALID_KEY, "delete");
          await expectStateError(writeRef(h.primary, scope, k, "v"), INVALID_KEY, "serialize");
        },
      );
    }

    for (const [label, value] of BAD_VALUES) {
      contract(HINTS.invalidValue)(
        `${label} is InvalidStateValueError and leaves the previous value`,
        async () => {
          const scope = h.taskScope();
          const asset = h.assetByName();
          await h.primary.set(scope, "k", "previous");
          await writeRef(h.primary, asset, "k", "previous");
          await expectStateError(h.primary.set(scope, "k", value as string), INVALID_VALUE, "set");
          await expectStateError(
            writeRef(h.primary, scope, "k", value as string),
            INVALID_VALUE,
            "serialize task",
          );
          await expectStateError(
            writeRef(h.primary, asset, "k", value as string),
            INVALID_VALUE,
            "serialize asset",
          );
          expect(await h.primary.get(scope, "k")).toBe("previous");
          expect(await h.primary.get(asset, "k")).toBe("previous");
        },
      );
    }
  });
}
