import { describeStateBackend, listAllStateRefs } from "@flowstate/backend-test-suite";
import {
  AssetScope,
  ConfigError,
  InvalidScopeError,
  isStateBackend,
  isStateBackendClass,
  ownReferenceVersion,
  StateObjectMissingError,
  StateReferenceError,
  TaskScope,
} from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { MemoryStateBackend } from "../src/index.js";

describeStateBackend("memory", { create: () => new MemoryStateBackend({ namespace: "conformance" }) });

const scope = new TaskScope({ dagId: "etl", runId: "manual__1", taskId: "extract", mapIndex: 2 });

describe("MemoryStateBackend", () => {
  it("is a state backend the loader accepts", () => {
    expect(isStateBackendClass(MemoryStateBackend)).toBe(true);
    expect(isStateBackend(new MemoryStateBackend())).toBe(true);
  });

  it("writes memory://<namespace>/<versionedStatePath> references, a new version per write", async () => {
    const backend = new MemoryStateBackend({ namespace: "ref-format" });
    const first = await backend.serializeTaskStateToRef({ value: "v1", key: "job id", tiId: "ti-1", scope });
    const second = await backend.serializeTaskStateToRef({ value: "v2", key: "job id", tiId: "ti-1", scope });
    const keyRef = "memory://ref-format/task/etl/manual__1/extract/2/job%20id";
    expect(ownReferenceVersion(first, keyRef)).toBeDefined();
    expect(ownReferenceVersion(second, keyRef)).toBeDefined();
    expect(second).not.toBe(first);
    expect(second > first, "versions sort in the order they were written").toBe(true);
    const asset = await backend.serializeAssetStateToRef({
      value: "v",
      key: "watermark",
      assetRef: "s3://b/orders",
      scope: new AssetScope({ uri: "s3://b/orders" }),
    });
    expect(asset).toMatch(
      /^memory:\/\/ref-format\/asset\/uri\/s3%3A%2F%2Fb%2Forders\/watermark\/[0-9a-z]{9}-[0-9a-f]{16}$/,
    );
    expect(await backend.deserializeTaskStateFromRef(first, { key: "job id", scope })).toBe("v1");
    expect(await backend.get(scope, "job id")).toBe("v2");
  });

  it("defaults to the 'default' namespace, shared by every backend made without options", async () => {
    const writer = new MemoryStateBackend();
    await writer.set(scope, "default-ns-key", "shared");
    expect(new MemoryStateBackend({}).namespace).toBe("default");
    expect(await new MemoryStateBackend({}).get(scope, "default-ns-key")).toBe("shared");
  });

  it("isolates namespaces: same scope and key, separate values, and no reading of another namespace's ref", async () => {
    const a = new MemoryStateBackend({ namespace: "iso-a" });
    const b = new MemoryStateBackend({ namespace: "iso-b" });
    const refA = await a.serializeTaskStateToRef({ value: "from a", key: "k", tiId: "ti", scope });
    await b.set(scope, "k", "from b");
    expect(await a.get(scope, "k")).toBe("from a");
    await b.clear(scope, { allMapIndices: true });
    expect(await a.get(scope, "k")).toBe("from a");
    const refused = await b.deserializeTaskStateFromRef(refA, { key: "k", scope }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StateReferenceError);
    expect(refused).toMatchObject({
      code: "FLOWSTATE_BAD_REFERENCE",
      backend: "memory",
      operation: "deserialize",
    });
  });

  it("shares a namespace between instances for the life of the process", async () => {
    await new MemoryStateBackend({ namespace: "shared-life" }).set(scope, "k", "kept");
    const later = new MemoryStateBackend({ namespace: "shared-life" });
    await later.close();
    expect(await new MemoryStateBackend({ namespace: "shared-life" }).get(scope, "k")).toBe("kept");
  });

  it("names the stored and the expected reference when refusing one", async () => {
    const backend = new MemoryStateBackend({ namespace: "messages" });
    const error = await backend
      .deserializeTaskStateFromRef("s3://x/y", { key: "k", scope })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateReferenceError);
    expect((error as Error).message).toContain('"s3://x/y"');
    expect((error as Error).message).toContain("memory://messages/task/etl/manual__1/extract/2/k/<version>");
  });

  it("reports a missing version with StateObjectMissingError naming the reference", async () => {
    const backend = new MemoryStateBackend({ namespace: "missing" });
    const ref = await backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "ti", scope });
    await backend.deleteStateRefs([{ ref, scope, key: "k" }]);
    const error = await backend
      .deserializeTaskStateFromRef(ref, { key: "k", scope })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateObjectMissingError);
    expect(error).toMatchObject({
      code: "FLOWSTATE_OBJECT_MISSING",
      location: ref,
      operation: "deserialize",
    });
  });

  it("set keeps only the newest version; deleteStateRefs deletes exactly the versions named", async () => {
    const backend = new MemoryStateBackend({ namespace: "versions" });
    const hooked = await backend.serializeTaskStateToRef({ value: "hooked", key: "k", tiId: "ti", scope });
    const kept = await backend.serializeTaskStateToRef({ value: "kept", key: "k", tiId: "ti", scope });
    await backend.deleteStateRefs([{ ref: hooked }, { ref: kept, scope, key: "other" }]);
    expect(await refsIn(backend)).toEqual([kept]);
    await backend.set(scope, "k", "set");
    const [newest = ""] = await refsIn(backend);
    expect(await refsIn(backend)).toHaveLength(1);
    expect(await backend.deserializeTaskStateFromRef(newest, { key: "k", scope })).toBe("set");
  });

  it("lists a namespace's versions in pages of at most 1000, with when each was written", async () => {
    const backend = new MemoryStateBackend({ namespace: "pages" });
    const before = Date.now();
    for (let i = 0; i < 1001; i += 1) await backend.set(scope, `k${i}`, "v");
    const pages: number[] = [];
    for await (const page of backend.listStateRefs()) {
      pages.push(page.length);
      for (const { writtenAt } of page) expect(writtenAt.getTime()).toBeGreaterThanOrEqual(before);
    }
    expect(pages).toEqual([1000, 1]);
  });
});

/** Every reference a memory backend lists, all pages together. */
async function refsIn(backend: MemoryStateBackend): Promise<string[]> {
  return (await listAllStateRefs(backend)).map((entry) => entry.ref);
}

describe("MemoryStateBackend options (from [workers] state_backend_kwargs)", () => {
  const configError = (make: () => unknown): ConfigError => {
    try {
      make();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    return expect.fail("expected a ConfigError");
  };

  it.each([
    ["an empty string", ""],
    ["a number", 7],
    ["null", null],
    ["an object", { name: "x" }],
  ])("refuses a namespace that is %s", (_label, namespace) => {
    const error = configError(() => new MemoryStateBackend({ namespace } as never));
    expect(error.message).toContain("[workers] state_backend_kwargs");
    expect(error.message).toContain("non-empty string");
    expect(error).toMatchObject({ section: "workers", key: "state_backend_kwargs" });
  });

  it("refuses unknown option names and lists the known ones", () => {
    const error = configError(() => new MemoryStateBackend({ namespace: "x", bucket: "b" } as never));
    expect(error.message).toContain('"bucket"');
    expect(error.message).toContain("Known options: namespace");
  });

  it.each([
    ["an array", ["x"]],
    ["a string", "namespace=x"],
  ])("refuses options that are %s", (_label, options) => {
    const error = configError(() => new MemoryStateBackend(options as never));
    expect(error.message).toContain("expected a JSON object");
  });

  it("accepts the loader's call shape: (kwargs, { config })", async () => {
    const backend = new MemoryStateBackend({ namespace: "loader" }, { config: undefined });
    expect(backend.namespace).toBe("loader");
  });
});

describe("MemoryStateBackend bad input", () => {
  const backend = new MemoryStateBackend({ namespace: "bad-input" });

  it.each([
    ["mapIndex -5", { kind: "task", dagId: "d", runId: "r", taskId: "t", mapIndex: -5 }],
    ["a missing dagId", { kind: "task", runId: "r", taskId: "t", mapIndex: -1 }],
    ["an empty dagId", { kind: "task", dagId: "", runId: "r", taskId: "t", mapIndex: -1 }],
    ["a C1 control character in taskId", { kind: "task", dagId: "d", runId: "r", taskId: "t\u0085" }],
    ["no kind", {}],
  ])("refuses a hand-made scope with %s before writing, deleting or listing", async (_label, fake) => {
    const bad = fake as unknown as TaskScope;
    const valid = new TaskScope({ dagId: "d", runId: "r", taskId: "t" });
    const ref = await backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "ti", scope: valid });
    await expect(backend.set(bad, "k", "v")).rejects.toBeInstanceOf(InvalidScopeError);
    await expect(
      backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "ti", scope: bad }),
    ).rejects.toBeInstanceOf(InvalidScopeError);
    await expect(backend.deleteStateRefs([{ ref, scope: bad, key: "k" }])).rejects.toBeInstanceOf(
      InvalidScopeError,
    );
    await expect(listAllStateRefs(backend, { scope: bad })).rejects.toBeInstanceOf(InvalidScopeError);
    await expect(backend.clear(bad, { allMapIndices: true })).rejects.toBeInstanceOf(InvalidScopeError);
    expect(await backend.deserializeTaskStateFromRef(ref, { key: "k", scope: valid })).toBe("v");
    expect(await refsIn(backend)).toEqual([ref]);
    await backend.clear(valid);
  });

  it("refuses an asset scope in the task hooks and a task scope in the asset hooks", async () => {
    const asset = new AssetScope({ name: "orders" });
    await expect(
      backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "ti", scope: asset as never }),
    ).rejects.toBeInstanceOf(InvalidScopeError);
    await expect(
      backend.serializeAssetStateToRef({ value: "v", key: "k", assetRef: "orders", scope: scope as never }),
    ).rejects.toBeInstanceOf(InvalidScopeError);
    expect(await backend.get(asset, "k")).toBeUndefined();
    expect(await backend.get(scope, "k")).toBeUndefined();
  });

  it("refuses a stored reference that is not a string", async () => {
    const error = await backend
      .deserializeTaskStateFromRef(42 as never, { key: "k", scope })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateReferenceError);
    expect((error as Error).message).toContain("(number)");
  });
});
