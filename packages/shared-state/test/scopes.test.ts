import { describe, expect, it } from "vitest";
import { AssetScope, InvalidScopeError, TaskScope, validateScope } from "../src/index.js";

describe("TaskScope", () => {
  it("defaults mapIndex to -1 and is immutable", () => {
    const scope = new TaskScope({ dagId: "dag", runId: "run", taskId: "task" });
    expect(scope).toMatchObject({ kind: "task", dagId: "dag", runId: "run", taskId: "task", mapIndex: -1 });
    expect(Object.isFrozen(scope)).toBe(true);
    expect(() => {
      (scope as { dagId: string }).dagId = "other";
    }).toThrow(TypeError);
  });

  it.each([
    [{ dagId: "", runId: "r", taskId: "t" }, /Invalid dagId "": it must not be empty/],
    [{ dagId: "d", runId: 7, taskId: "t" }, /Invalid runId \(number\)/],
    [{ dagId: "d", runId: "r", taskId: "x".repeat(251) }, /Invalid taskId .*limit is 250/],
    [{ dagId: "d\n", runId: "r", taskId: "t" }, /control character/],
    [{ dagId: "d", runId: "r", taskId: "t", mapIndex: -2 }, /Invalid mapIndex -2/],
    [{ dagId: "d", runId: "r", taskId: "t", mapIndex: 1.5 }, /Invalid mapIndex 1.5/],
  ])("rejects %j with InvalidScopeError", (init, message) => {
    expect(() => new TaskScope(init as never)).toThrow(InvalidScopeError);
    expect(() => new TaskScope(init as never)).toThrow(message);
  });
});

describe("AssetScope", () => {
  it("requires at least one identifier", () => {
    expect(() => new AssetScope({})).toThrow(InvalidScopeError);
    expect(() => new AssetScope({})).toThrow("AssetScope requires at least one of: assetId, name, or uri");
  });

  it("accepts assetId, name or uri alone", () => {
    expect(new AssetScope({ assetId: 1 }).assetRef).toBe("1");
    expect(new AssetScope({ name: "my_asset" }).assetRef).toBe("my_asset");
    expect(new AssetScope({ uri: "s3://bucket/key" }).assetRef).toBe("s3://bucket/key");
  });

  it("prefers the name as the asset reference, as Airflow's accessor does", () => {
    expect(new AssetScope({ name: "n", uri: "s3://u" }).assetRef).toBe("n");
  });

  it.each([
    [{ assetId: -1 }, /Invalid assetId -1/],
    [{ name: "" }, /Invalid asset name "": it must not be empty/],
    [{ uri: "x".repeat(1501) }, /limit is 1500/],
  ])("rejects %j", (init, message) => {
    expect(() => new AssetScope(init)).toThrow(message);
  });
});

describe("validateScope", () => {
  const TASK_FIELDS = { kind: "task", dagId: "d", runId: "r", taskId: "t" } as const;

  it("rebuilds a well-formed hand-made scope as a frozen TaskScope or AssetScope", () => {
    const task = validateScope({ ...TASK_FIELDS, mapIndex: 3 });
    expect(task).toBeInstanceOf(TaskScope);
    expect(task).toMatchObject({ ...TASK_FIELDS, mapIndex: 3 });
    expect(Object.isFrozen(task)).toBe(true);
    const asset = validateScope({ kind: "asset", name: "n", uri: "s3://u" }, "asset");
    expect(asset).toBeInstanceOf(AssetScope);
    expect(asset.assetRef).toBe("n");
  });

  it("returns a real scope unchanged in content", () => {
    const scope = new TaskScope({ dagId: "d", runId: "r", taskId: "t" });
    expect(validateScope(scope, "task")).toEqual(scope);
  });

  it.each([
    ["mapIndex -5", { ...TASK_FIELDS, mapIndex: -5 }, /Invalid mapIndex -5/],
    ["mapIndex 1.5", { ...TASK_FIELDS, mapIndex: 1.5 }, /Invalid mapIndex 1.5/],
    ["mapIndex NaN", { ...TASK_FIELDS, mapIndex: Number.NaN }, /Invalid mapIndex NaN/],
    ["mapIndex as a string", { ...TASK_FIELDS, mapIndex: "1" }, /Invalid mapIndex 1/],
    ["a missing dagId", { kind: "task", runId: "r", taskId: "t" }, /Invalid dagId \(undefined\)/],
    ["an empty runId", { ...TASK_FIELDS, runId: "" }, /Invalid runId "": it must not be empty/],
    ["a control character in taskId", { ...TASK_FIELDS, taskId: "t\u0000" }, /control character/],
    ["a C1 control character in dagId", { ...TASK_FIELDS, dagId: "d\u009b" }, /control character/],
    ["an asset with nothing", { kind: "asset" }, /requires at least one of/],
    ["an asset with a negative id", { kind: "asset", assetId: -1 }, /Invalid assetId -1/],
    ["an asset with an empty name", { kind: "asset", name: "" }, /Invalid asset name/],
    ["an unknown kind", { ...TASK_FIELDS, kind: "dag" }, /without kind 'task' or 'asset'/],
    ["an object without kind", { dagId: "d", runId: "r", taskId: "t" }, /without kind 'task' or 'asset'/],
    ["null", null, /got null/],
    ["undefined", undefined, /got undefined/],
    ["a string", "task/d/r/t/-1", /got string/],
    ["the string 'task'", "task", /got string/],
    ["a number", 7, /got number/],
  ])("refuses %s with InvalidScopeError", (_label, scope, message) => {
    expect(() => validateScope(scope)).toThrow(InvalidScopeError);
    expect(() => validateScope(scope)).toThrow(message);
  });

  it("refuses a scope of the wrong kind", () => {
    const asset = new AssetScope({ name: "n" });
    expect(() => validateScope(asset, "task")).toThrow(InvalidScopeError);
    expect(() => validateScope(asset, "task")).toThrow("expected a task scope here, got a asset scope");
    expect(() => validateScope({ ...TASK_FIELDS }, "asset")).toThrow(InvalidScopeError);
  });
});
