import { describe, expect, it } from "vitest";
import {
  AssetScope,
  ConfigError,
  encodePathSegment,
  InvalidStateKeyError,
  joinStoragePath,
  MAX_ENCODED_SEGMENT_LENGTH,
  normalizeStoragePrefix,
  scopePrefix,
  statePath,
  TaskScope,
} from "../src/index.js";

const task = (over: Partial<{ dagId: string; runId: string; taskId: string; mapIndex: number }> = {}) =>
  new TaskScope({ dagId: "dag", runId: "run", taskId: "task", ...over });

describe("encodePathSegment", () => {
  it("keeps only A-Z a-z 0-9 _ - % in a segment", () => {
    for (const raw of [
      "a/b",
      "..",
      ".",
      "%2F",
      "é",
      "e\u0301",
      "🚀",
      "a b",
      "~!*'()",
      "run:2026-01-01T00:00:00+00:00",
    ]) {
      expect(encodePathSegment(raw)).toMatch(/^[A-Za-z0-9_%-]+$/);
    }
  });

  it("gives distinct segments for distinct strings", () => {
    const raws = ["a/b", "a%2Fb", "a%252Fb", "A/b", "é", "e\u0301", ".", "..", "%2E", "-1", "1"];
    const encoded = raws.map(encodePathSegment);
    expect(new Set(encoded).size).toBe(raws.length);
  });

  it("shortens long segments to a prefix and a digest, never colliding with short ones", () => {
    const long = "k".repeat(400);
    const encoded = encodePathSegment(long);
    expect(encoded.length).toBeLessThanOrEqual(MAX_ENCODED_SEGMENT_LENGTH);
    expect(encoded).toMatch(/^k{60}~[0-9a-f]{64}$/);
    expect(encodePathSegment(`${long}x`)).not.toBe(encoded);
    expect(encodePathSegment("é".repeat(100))).not.toMatch(/%[0-9A-F]?~/); // no escape cut in half
  });
});

describe("statePath and scopePrefix", () => {
  it("lays out task and asset paths", () => {
    expect(statePath(task(), "job_id")).toBe("task/dag/run/task/-1/job_id");
    expect(statePath(task({ mapIndex: 3 }), "k")).toBe("task/dag/run/task/3/k");
    expect(statePath(new AssetScope({ name: "orders" }), "wm")).toBe("asset/name/orders/wm");
    expect(statePath(new AssetScope({ uri: "s3://b/k" }), "wm")).toBe("asset/uri/s3%3A%2F%2Fb%2Fk/wm");
    expect(statePath(new AssetScope({ assetId: 7 }), "wm")).toBe("asset/id/7/wm");
  });

  it("keeps every path of a scope under its prefix, and allMapIndices covers only that task", () => {
    const scope = task({ mapIndex: 2 });
    expect(statePath(scope, "../../x").startsWith(scopePrefix(scope))).toBe(true);
    expect(scopePrefix(scope, { allMapIndices: true })).toBe("task/dag/run/task/");
    expect(
      statePath(task({ taskId: "task_2" }), "k").startsWith(scopePrefix(scope, { allMapIndices: true })),
    ).toBe(false);
  });

  it("does not let ids with separators shift segment boundaries", () => {
    expect(statePath(task({ dagId: "a/b", taskId: "c" }), "k")).not.toBe(
      statePath(task({ dagId: "a", taskId: "b/c" }), "k"),
    );
  });

  it("separates asset namespaces by name and by uri", () => {
    expect(statePath(new AssetScope({ name: "x" }), "k")).not.toBe(
      statePath(new AssetScope({ uri: "x" }), "k"),
    );
  });

  it("validates the key", () => {
    expect(() => statePath(task(), "")).toThrow(InvalidStateKeyError);
  });
});

describe("normalizeStoragePrefix", () => {
  it.each([
    [undefined, ""],
    ["", ""],
    ["/", ""],
    ["flowstate/prod/", "flowstate/prod"],
    ["/a/b", "a/b"],
  ])("normalises %j to %j", (raw, expected) => {
    expect(normalizeStoragePrefix(raw)).toBe(expected);
  });

  it.each(["a//b", "a/../b", "./a", ".."])("rejects %j, naming the option", (raw) => {
    expect(() => normalizeStoragePrefix(raw, "[s3_state_backend] prefix")).toThrow(ConfigError);
    expect(() => normalizeStoragePrefix(raw, "[s3_state_backend] prefix")).toThrow(
      /\[s3_state_backend\] prefix/,
    );
  });

  it("joins a prefix and a path", () => {
    expect(joinStoragePath("", "task/x")).toBe("task/x");
    expect(joinStoragePath("p", "task/x")).toBe("p/task/x");
  });
});
