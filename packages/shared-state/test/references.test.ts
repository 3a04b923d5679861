import { describe, expect, it } from "vitest";
import { assertOwnReference, previewReference, StateReferenceError } from "../src/index.js";

const expected = "s3://bucket/task/dag/run/task/-1/k";
const check = { backend: "s3", key: "k", advice: "Set the key again." };

describe("assertOwnReference", () => {
  it("accepts exactly the expected reference", () => {
    expect(() => assertOwnReference(expected, expected, check)).not.toThrow();
  });

  it.each([
    ["another bucket", "s3://other/task/dag/run/task/-1/k"],
    ["a path that climbs out", `${expected}/../../x`],
    ["a trailing slash", `${expected}/`],
    ["the empty string", ""],
    ["a non-string", 42],
    ["null", null],
  ])("refuses %s with StateReferenceError naming backend, key, expected ref and advice", (_label, stored) => {
    let error: unknown;
    try {
      assertOwnReference(stored, expected, check);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StateReferenceError);
    expect(error).toMatchObject({ backend: "s3", operation: "deserialize", location: expected });
    expect((error as Error).message).toContain(`for key 'k' (expected ${expected}). Set the key again.`);
    expect((error as Error).message).toContain(previewReference(stored));
  });
});

describe("previewReference", () => {
  it("quotes strings, cuts them at 200 characters, and names other types", () => {
    expect(previewReference("s3://b/k")).toBe('"s3://b/k"');
    expect(previewReference("x".repeat(500))).toBe(JSON.stringify(`${"x".repeat(200)}…`));
    expect(previewReference(null)).toBe("(null)");
    expect(previewReference(undefined)).toBe("(undefined)");
  });
});
