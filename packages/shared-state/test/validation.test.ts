import { describe, expect, it } from "vitest";
import {
  InvalidScopeError,
  InvalidStateKeyError,
  statePath,
  TaskScope,
  validateScopeId,
  validateStateKey,
} from "../src/index.js";

describe("validateStateKey", () => {
  it.each([
    ["NUL", "a\u0000b"],
    ["a newline", "a\nb"],
    ["DEL", "a\u007fb"],
    ["NEL (U+0085)", "a\u0085b"],
    ["CSI (U+009B)", "a\u009b31mred"],
    ["U+0080", "\u0080"],
    ["U+009F", "x\u009f"],
  ])("refuses a key with %s", (_label, key) => {
    expect(() => validateStateKey(key)).toThrow(InvalidStateKeyError);
    expect(() => validateStateKey(key)).toThrow(/control character/);
    expect(() => statePath(new TaskScope({ dagId: "d", runId: "r", taskId: "t" }), key)).toThrow(
      InvalidStateKeyError,
    );
  });

  it.each(["\u00a0", "é", "🚀", "a b", "\u00a0nbsp", "\u2028"])(
    "accepts %j (not a control character)",
    (key) => {
      expect(() => validateStateKey(key)).not.toThrow();
    },
  );
});

describe("validateScopeId", () => {
  it.each(["d\u0085", "\u009b", "\u0080x"])("refuses an id with a C1 control character (%j)", (id) => {
    expect(() => validateScopeId("dagId", id)).toThrow(InvalidScopeError);
    expect(() => new TaskScope({ dagId: id, runId: "r", taskId: "t" })).toThrow(InvalidScopeError);
  });
});
