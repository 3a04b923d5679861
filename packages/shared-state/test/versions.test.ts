import { describe, expect, it } from "vitest";
import {
  AssetScope,
  InvalidStateKeyError,
  isStateVersion,
  newStateVersion,
  stateKeyPrefix,
  statePath,
  TaskScope,
  versionedStatePath,
  versionOfStatePath,
} from "../src/index.js";

const TASK = new TaskScope({ dagId: "dag", runId: "run", taskId: "task", mapIndex: 2 });
const VERSION_PATTERN = /^[0-9a-z]{9}-[0-9a-f]{16}$/;

describe("newStateVersion", () => {
  it("has the documented shape", () => {
    const version = newStateVersion();
    expect(version).toMatch(VERSION_PATTERN);
    expect(isStateVersion(version)).toBe(true);
  });

  it("increases within one millisecond and when the clock goes back", () => {
    const now = Date.now();
    const made = [
      newStateVersion(now),
      newStateVersion(now),
      newStateVersion(now),
      newStateVersion(now - 5_000),
    ];
    expect(new Set(made).size).toBe(made.length);
    expect([...made].sort()).toEqual(made);
    for (const version of made) expect(version).toMatch(VERSION_PATTERN);
  });

  it("orders versions of later clocks after earlier ones", () => {
    const earlier = newStateVersion();
    const later = newStateVersion(Date.now() + 60_000);
    expect(earlier < later).toBe(true);
  });
});

describe("isStateVersion", () => {
  it.each([
    ["", false],
    ["..", false],
    ["0mwwusani-5dc0c2de6bb93443", true],
    ["0MWWUSANI-5dc0c2de6bb93443", false],
    ["0mwwusani-5dc0c2de6bb9344", false],
    ["0mwwusani-5dc0c2de6bb93443/x", false],
    [42, false],
  ])("%j is %s", (candidate, expected) => {
    expect(isStateVersion(candidate)).toBe(expected);
  });
});

describe("versioned paths", () => {
  const version = newStateVersion();

  it("lay every version of a key under the key's own prefix", () => {
    expect(stateKeyPrefix(TASK, "job_id")).toBe("task/dag/run/task/2/job_id/");
    expect(versionedStatePath(TASK, "job_id", version)).toBe(`task/dag/run/task/2/job_id/${version}`);
    expect(versionedStatePath(new AssetScope({ name: "orders" }), "wm", version)).toBe(
      `asset/name/orders/wm/${version}`,
    );
  });

  it("validate the key", () => {
    expect(() => stateKeyPrefix(TASK, "")).toThrow(InvalidStateKeyError);
    expect(() => versionedStatePath(TASK, "a\u0085b", version)).toThrow(InvalidStateKeyError);
  });
});

describe("versionOfStatePath", () => {
  const version = newStateVersion();

  it.each([
    ["a task path", versionedStatePath(TASK, "job_id", version)],
    [
      "an unmapped task path",
      versionedStatePath(new TaskScope({ dagId: "d", runId: "r", taskId: "t" }), "k", version),
    ],
    ["an asset path by name", versionedStatePath(new AssetScope({ name: "orders" }), "wm", version)],
    ["an asset path by uri", versionedStatePath(new AssetScope({ uri: "s3://b/k" }), "wm", version)],
    ["an asset path by id", versionedStatePath(new AssetScope({ assetId: 7 }), "wm", version)],
    [
      "a path with encoded ids",
      versionedStatePath(new TaskScope({ dagId: "a/b", runId: "..", taskId: "é" }), "../k", version),
    ],
  ])("accepts %s", (_label, path) => {
    expect(versionOfStatePath(path)).toBe(version);
  });

  it.each([
    ["no version", statePath(TASK, "job_id")],
    ["a trailing slash", `${statePath(TASK, "job_id")}/`],
    ["a '..' key", `task/dag/run/task/2/../${version}`],
    ["a '.' segment", `task/dag/./task/2/k/${version}`],
    ["a '..' id", `task/dag/../task/2/k/${version}`],
    ["an extra segment", `task/dag/run/task/2/k/extra/${version}`],
    ["a missing segment", `task/dag/run/2/k/${version}`],
    ["a version followed by more", `task/dag/run/task/2/k/${version}/x`],
    ["a non-numeric map index", `task/dag/run/task/x/k/${version}`],
    ["a non-numeric asset id", `asset/id/x/k/${version}`],
    ["an unknown asset kind", `asset/path/x/k/${version}`],
    ["an unknown layout", `other/dag/run/task/2/k/${version}`],
    ["a leading slash", `/task/dag/run/task/2/k/${version}`],
    ["a storage prefix in front", `prefix/task/dag/run/task/2/k/${version}`],
    ["an empty segment", `task/dag//task/2/k/${version}`],
    ["a malformed version", "task/dag/run/task/2/k/latest"],
    ["the empty string", ""],
  ])("refuses %s", (_label, path) => {
    expect(versionOfStatePath(path)).toBeUndefined();
  });
});
