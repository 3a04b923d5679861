import { describe, expect, it } from "vitest";
import {
  AssetScope,
  BaseStateBackend,
  type DeserializeStateArgs,
  isStateBackend,
  isStateBackendClass,
  type SerializeAssetStateArgs,
  type SerializeTaskStateArgs,
  STATE_BACKEND_BRAND,
  type StateScope,
  stateBackendClassProblem,
  stateBackendProblem,
  TaskScope,
} from "../src/index.js";

const TASK = new TaskScope({ dagId: "dag", runId: "run", taskId: "task" });
const ASSET = new AssetScope({ name: "my_asset" });

/** The smallest legal backend: storage methods only, default reference hooks. */
class PassThroughBackend extends BaseStateBackend {
  async get() {
    return undefined;
  }
  async set() {}
  async delete() {}
  async clear() {}
}

describe("BaseStateBackend default hooks", () => {
  const backend = new PassThroughBackend();

  it("round-trips task state unchanged", async () => {
    const ref = await backend.serializeTaskStateToRef({
      value: "app_1234",
      key: "job_id",
      tiId: "abc-123",
      scope: TASK,
    });
    expect(ref).toBe("app_1234");
    expect(await backend.deserializeTaskStateFromRef(ref, { key: "job_id", scope: TASK })).toBe("app_1234");
  });

  it("round-trips asset state unchanged", async () => {
    const ref = await backend.serializeAssetStateToRef({
      value: "2026-05-01",
      key: "watermark",
      assetRef: "my_asset",
      scope: ASSET,
    });
    expect(ref).toBe("2026-05-01");
    expect(await backend.deserializeAssetStateFromRef(ref, { key: "watermark", scope: ASSET })).toBe(
      "2026-05-01",
    );
  });

  it("close() resolves", async () => {
    await expect(backend.close()).resolves.toBeUndefined();
  });

  it("has nothing to delete or list: values live in the metadata store", async () => {
    await expect(
      backend.deleteStateRefs([{ ref: "app_1234", scope: TASK, key: "job_id" }]),
    ).resolves.toBeUndefined();
    const pages = [];
    for await (const page of backend.listStateRefs({ scope: TASK })) pages.push(page);
    expect(pages).toEqual([]);
  });
});

/** A backend someone forgot to finish. */
abstract class HalfBackend extends BaseStateBackend {
  async get() {
    return undefined;
  }
  async set() {}
}

describe("custom hooks", () => {
  class MyBackend extends PassThroughBackend {
    override async serializeTaskStateToRef({ key, scope }: SerializeTaskStateArgs) {
      return `s3://bucket/${scope.dagId}/${key}`;
    }
    override async deserializeTaskStateFromRef(stored: string, _args: DeserializeStateArgs<TaskScope>) {
      return `fetched:${stored}`;
    }
    override async serializeAssetStateToRef({ key, assetRef }: SerializeAssetStateArgs) {
      return `s3://bucket/assets/${assetRef}/${key}`;
    }
    override async deserializeAssetStateFromRef(stored: string, _args: DeserializeStateArgs<AssetScope>) {
      return `resolved:${stored}`;
    }
  }
  const backend = new MyBackend();

  it("overrides task state serialization", async () => {
    const ref = await backend.serializeTaskStateToRef({
      value: "app_1234",
      key: "job_id",
      tiId: "abc",
      scope: TASK,
    });
    expect(ref).toBe("s3://bucket/dag/job_id");
    expect(await backend.deserializeTaskStateFromRef(ref, { key: "job_id", scope: TASK })).toBe(
      "fetched:s3://bucket/dag/job_id",
    );
  });

  it("overrides asset state serialization", async () => {
    const ref = await backend.serializeAssetStateToRef({
      value: "2026-05-01",
      key: "watermark",
      assetRef: "my_asset",
      scope: ASSET,
    });
    expect(ref).toBe("s3://bucket/assets/my_asset/watermark");
    expect(await backend.deserializeAssetStateFromRef(ref, { key: "watermark", scope: ASSET })).toBe(
      "resolved:s3://bucket/assets/my_asset/watermark",
    );
  });
});

describe("isStateBackend / isStateBackendClass", () => {
  it("accepts a subclass and its instances", () => {
    expect(isStateBackendClass(PassThroughBackend)).toBe(true);
    expect(isStateBackend(new PassThroughBackend())).toBe(true);
  });

  it("rejects the abstract base itself: it has no storage methods", () => {
    expect(stateBackendClassProblem(BaseStateBackend)).toBe("it does not implement get, set, delete, clear");
  });

  /** A backend object as an older copy of the package shaped it: no deleteStateRefs, no listStateRefs. */
  const olderShape = () => ({
    [Symbol.for("flowstate.StateBackend")]: true,
    get: async (_s: StateScope, _k: string) => undefined,
    set: async () => {},
    delete: async () => {},
    clear: async () => {},
    serializeTaskStateToRef: async () => "",
    deserializeTaskStateFromRef: async () => "",
    serializeAssetStateToRef: async () => "",
    deserializeAssetStateFromRef: async () => "",
  });

  it("trusts the brand and shape, not instanceof: an object from another copy of the package passes", () => {
    const foreign = {
      ...olderShape(),
      deleteStateRefs: async () => {},
      listStateRefs: async function* () {},
    };
    expect(foreign instanceof BaseStateBackend).toBe(false);
    expect(isStateBackend(foreign)).toBe(true);
    expect(STATE_BACKEND_BRAND).toBe(Symbol.for("flowstate.StateBackend"));
  });

  it("refuses an object from an older copy of the package that has no deleteStateRefs or listStateRefs", () => {
    expect(stateBackendProblem(olderShape())).toBe("it does not implement deleteStateRefs, listStateRefs");
    expect(isStateBackend(olderShape())).toBe(false);
  });

  it.each([
    [null, "it is null, not a class"],
    ["pkg.Class", "it is string, not a class"],
    [() => {}, "it is not a class (it has no prototype: an arrow function?)"],
    [class NotABackend {}, "it does not extend BaseStateBackend from @flowstate/shared-state"],
    [HalfBackend, "it does not implement delete, clear"],
  ])("names why %s is not a backend class", (candidate, problem) => {
    expect(stateBackendClassProblem(candidate)).toBe(problem);
    expect(isStateBackendClass(candidate)).toBe(false);
  });
});
