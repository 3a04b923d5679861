import { describe, expect, it } from "vitest";
import {
  assertOwnReference,
  newStateVersion,
  ownReferenceVersion,
  previewReference,
  StateReferenceError,
} from "../src/index.js";

// The backend's reference for the key, without a version: every stored reference is `<KEY_REF>/<version>`.
const KEY_REF = "s3://bucket/task/dag/run/task/-1/k";
const VERSION = newStateVersion();
const STORED = `${KEY_REF}/${VERSION}`;
const check = { backend: "s3", key: "k", advice: "Set the key again." };

describe("assertOwnReference", () => {
  it("accepts a version of the key's reference and returns the version", () => {
    expect(assertOwnReference(STORED, KEY_REF, check)).toBe(VERSION);
  });

  it.each([
    ["the key's reference without a version", KEY_REF],
    ["another bucket", `s3://other/task/dag/run/task/-1/k/${VERSION}`],
    ["another key sharing the prefix", `${KEY_REF}2/${VERSION}`],
    ["a path that climbs out", `${KEY_REF}/../../x/${VERSION}`],
    ["a version that climbs out", `${KEY_REF}/..`],
    ["a version with an extra segment", `${STORED}/extra`],
    ["something that is not a version", `${KEY_REF}/latest`],
    ["an upper-case version", `${KEY_REF}/${VERSION.toUpperCase()}`],
    ["a trailing slash", `${KEY_REF}/`],
    ["the empty string", ""],
    ["a non-string", 42],
    ["null", null],
  ])("refuses %s with StateReferenceError naming backend, key, expected ref and advice", (_label, stored) => {
    let error: unknown;
    try {
      assertOwnReference(stored, KEY_REF, check);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StateReferenceError);
    expect(error).toMatchObject({ backend: "s3", operation: "deserialize", location: KEY_REF });
    expect((error as Error).message).toContain(
      `for key 'k' (expected ${KEY_REF}/<version>). Set the key again.`,
    );
    expect((error as Error).message).toContain(previewReference(stored));
  });
});

describe("ownReferenceVersion", () => {
  it("is the version of an own reference, else undefined", () => {
    expect(ownReferenceVersion(STORED, KEY_REF)).toBe(VERSION);
    expect(ownReferenceVersion(KEY_REF, KEY_REF)).toBeUndefined();
    expect(ownReferenceVersion(`${KEY_REF}x/${VERSION}`, KEY_REF)).toBeUndefined();
    expect(ownReferenceVersion(`${STORED}/${VERSION}`, KEY_REF)).toBeUndefined();
    expect(ownReferenceVersion(undefined, KEY_REF)).toBeUndefined();
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
