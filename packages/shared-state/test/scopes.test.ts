import { describe, expect, it } from "vitest";
import { AssetScope, InvalidScopeError, TaskScope } from "../src/index.js";

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
