import {
  AssetScope,
  InvalidStateKeyError,
  InvalidStateValueError,
  StateBackendError,
  StateValidationError,
  stateKeyPrefix,
  TaskScope,
  versionOfStatePath,
} from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import {
  AssetStateAccessor,
  AssetStateAccessors,
  NEVER_EXPIRE,
  sweepOrphanedState,
  TaskStateAccessor,
} from "../src/index.js";
import { config, rowRefs, storedRefs, useHarness, useOrphanWarnings } from "./helpers.js";

const DAY = 86_400_000;
// Frozen at load time: the store compares expiry against its own (real) clock.
const FROZEN = new Date(Math.floor(Date.now() / 1000) * 1000);
const SCOPE = new TaskScope({ dagId: "dag", runId: "run", taskId: "task" });
const ORDERS = { name: "my_asset", uri: "s3://bucket/data" };

describe("TaskStateAccessor", () => {
  const h = useHarness();
  const warnings = useOrphanWarnings();

  async function accessor(options: { ini?: string; withBackend?: boolean } = {}) {
    const ti = await h.store.createTaskInstance({ dagId: "dag", runId: "run", taskId: "task" });
    const taskState = new TaskStateAccessor({
      tiId: ti.id,
      scope: SCOPE,
      client: h.client,
      conf: config(options.ini),
      backend: options.withBackend === false ? undefined : h.backend,
      now: () => FROZEN,
    });
    return { ti, taskState };
  }
  const rows = () => h.store.listTaskState({ dagId: "dag" });

  describe("without a worker backend", () => {
    it("records the value itself, expiring after default_retention_days (30)", async () => {
      const { taskState } = await accessor({ withBackend: false });
      await taskState.set("job_id", "app_001");
      expect(await rows()).toMatchObject([{ key: "job_id", value: "app_001" }]);
      expect((await rows())[0]?.expiresAt).toEqual(new Date(FROZEN.getTime() + 30 * DAY));
      expect(await taskState.get("job_id")).toBe("app_001");
    });

    it("returns undefined for a key that was never set", async () => {
      const { taskState } = await accessor({ withBackend: false });
      expect(await taskState.get("nothing")).toBeUndefined();
    });
  });

  describe("with a worker backend", () => {
    it("set() stores the value in the backend as a new version and records only its reference", async () => {
      const { taskState } = await accessor();
      await taskState.set("job_id", "app_001");
      const [row] = await rows();
      const keyPrefix = `memory://${h.backend.namespace}/${stateKeyPrefix(SCOPE, "job_id")}`;
      expect(row).toMatchObject({ key: "job_id", backend: "MemoryStateBackend" });
      expect(row?.value.startsWith(keyPrefix)).toBe(true);
      expect(
        versionOfStatePath(row?.value.slice(`memory://${h.backend.namespace}/`.length) ?? ""),
      ).toBeDefined();
      expect(row?.expiresAt).toEqual(new Date(FROZEN.getTime() + 30 * DAY));
      expect(await storedRefs(h.backend)).toEqual([row?.value]);
      expect(await h.backend.get(SCOPE, "job_id")).toBe("app_001");
    });

    it("get() resolves the recorded reference to the value", async () => {
      const { taskState } = await accessor();
      await taskState.set("job_id", "app_001");
      expect(await taskState.get("job_id")).toBe("app_001");
    });

    it("a retry (new task instance id, same scope) reads the same value", async () => {
      const first = await accessor();
      await first.taskState.set("checkpoint", "step_3");
      const second = await accessor();
      expect(second.ti.id).not.toBe(first.ti.id);
      expect(await second.taskState.get("checkpoint")).toBe("step_3");
    });

    it("delete() removes the row and the backend object", async () => {
      const { taskState } = await accessor();
      await taskState.set("job_id", "app_001");
      await taskState.delete("job_id");
      expect(await rows()).toEqual([]);
      expect(await h.backend.get(SCOPE, "job_id")).toBeUndefined();
      expect(await storedRefs(h.backend)).toEqual([]);
      // The first set checks the task instance exists before writing any object.
      expect(h.calls).toEqual(["getTaskState", "setTaskState", "deleteTaskState"]);
    });

    it("clear() removes every row and backend object of the task instance", async () => {
      const { taskState } = await accessor();
      await taskState.set("job_id", "app_001");
      await taskState.set("checkpoint", "step_3");
      await taskState.clear();
      expect(await rows()).toEqual([]);
      expect(await h.backend.get(SCOPE, "job_id")).toBeUndefined();
      expect(await h.backend.get(SCOPE, "checkpoint")).toBeUndefined();
      expect(await storedRefs(h.backend)).toEqual([]);
    });

    it("clear({ allMapIndices }) reaches every map index in the store and the backend", async () => {
      const mapped = async (mapIndex: number) => {
        const ti = await h.store.createTaskInstance({ dagId: "dag", runId: "run", taskId: "task", mapIndex });
        const scope = new TaskScope({ dagId: "dag", runId: "run", taskId: "task", mapIndex });
        const conf = config();
        return new TaskStateAccessor({ tiId: ti.id, scope, client: h.client, conf, backend: h.backend });
      };
      const [zero, one] = [await mapped(0), await mapped(1)];
      await zero.set("k", "v0");
      await one.set("k", "v1");
      await zero.clear();
      expect(await one.get("k")).toBe("v1");
      await zero.set("k", "v0");
      await zero.clear({ allMapIndices: true });
      expect(await rows()).toEqual([]);
      expect(await h.backend.get(one.scope, "k")).toBeUndefined();
      expect(await storedRefs(h.backend)).toEqual([]);
    });

    it("delete(): the row goes first, so a backend failure leaves an orphan object (warned, swept later), never a dangling row", async () => {
      const { taskState } = await accessor();
      await taskState.set("job_id", "app_001");
      const [orphan] = await rowRefs(h.store);
      const deleteStateRefs = h.backend.deleteStateRefs;
      h.backend.deleteStateRefs = async () => {
        throw new StateBackendError("injected outage", { backend: "memory", operation: "delete" });
      };
      await taskState.delete("job_id"); // the row is gone: the delete did its job
      h.backend.deleteStateRefs = deleteStateRefs;
      expect(warnings).toEqual([
        expect.stringMatching(/1 object\(s\).*delete of task state key 'job_id'.*injected outage/),
      ]);
      expect(await rows()).toEqual([]);
      expect(await taskState.get("job_id")).toBeUndefined();
      expect(await storedRefs(h.backend)).toEqual([orphan]);
      await taskState.set("job_id", "app_002");
      expect(await taskState.get("job_id")).toBe("app_002");
      const swept = await sweepOrphanedState({ store: h.store, backend: h.backend, olderThanMs: 0 });
      expect(swept.orphans).toEqual([orphan]);
      expect(await storedRefs(h.backend)).toEqual(await rowRefs(h.store));
    });

    it("delete(): when the store fails, the backend object is left alone", async () => {
      const { taskState } = await accessor();
      await taskState.set("job_id", "app_001");
      await h.store.close();
      await expect(taskState.delete("job_id")).rejects.toThrow();
      expect(await h.backend.get(SCOPE, "job_id")).toBe("app_001");
      h.store = await reopen();
    });

    it("set(): when the backend fails, nothing is recorded", async () => {
      const { taskState } = await accessor();
      h.backend.serializeTaskStateToRef = async () => {
        throw new StateBackendError("injected outage", { backend: "memory", operation: "serialize" });
      };
      await expect(taskState.set("job_id", "app_001")).rejects.toThrow("injected outage");
      expect(await rows()).toEqual([]);
    });

    it("set(): a backend hook that returns a non-string is refused before the store is written", async () => {
      const { taskState } = await accessor();
      h.backend.serializeTaskStateToRef = async () => undefined as unknown as string;
      await expect(taskState.set("job_id", "app_001")).rejects.toThrow(/must return a string reference/);
      expect(await rows()).toEqual([]);
    });
  });

  describe("retention", () => {
    it("NEVER_EXPIRE records no expiry", async () => {
      const { taskState } = await accessor();
      await taskState.set("k", "v", { retention: NEVER_EXPIRE });
      expect((await rows())[0]?.expiresAt).toBeNull();
    });

    it("a duration sets expiresAt = now + duration", async () => {
      const { taskState } = await accessor();
      await taskState.set("k", "v", { retention: { days: 1, hours: 6 } });
      expect((await rows())[0]?.expiresAt).toEqual(new Date(FROZEN.getTime() + 1.25 * DAY));
    });

    it.each(["0", "-5"])("default_retention_days = %s means no expiry", async (days) => {
      const { taskState } = await accessor({ ini: `[state_store]\ndefault_retention_days = ${days}\n` });
      await taskState.set("k", "v");
      expect((await rows())[0]?.expiresAt).toBeNull();
    });

    it.each([
      [{ days: -1 }, /'days' must be a finite number/],
      [{ weeks: 1 }, /unknown unit 'weeks'/],
      [{ days: 0 }, /longer than zero/],
      [{ days: Number.NaN }, /finite number/],
      [7, /expected a duration object/],
    ])("a bad retention %j is an error and writes nothing", async (retention, message) => {
      const { taskState } = await accessor();
      await expect(taskState.set("k", "v", { retention: retention as never })).rejects.toThrow(message);
      await expect(taskState.set("k", "v", { retention: retention as never })).rejects.toBeInstanceOf(
        InvalidStateValueError,
      );
      expect(await rows()).toEqual([]);
      expect(await storedRefs(h.backend)).toEqual([]);
    });
  });

  describe("bad input", () => {
    it.each([
      ["", /must not be empty/],
      ["x".repeat(251), /limit is 250/],
      ["tab\there", /control character/],
      [42, /expected a string, got number/],
      [undefined, /expected a string, got undefined/],
    ])("key %j is refused with InvalidStateKeyError and nothing is written", async (key, message) => {
      const { taskState } = await accessor();
      await expect(taskState.set(key as string, "v")).rejects.toThrow(message);
      await expect(taskState.get(key as string)).rejects.toBeInstanceOf(InvalidStateKeyError);
      await expect(taskState.delete(key as string)).rejects.toBeInstanceOf(InvalidStateKeyError);
      expect(await rows()).toEqual([]);
      expect(h.calls).toEqual([]);
    });

    it.each([
      [42, /expected a string, got number/],
      [{ a: 1 }, /got an object. Serialize it first/],
      [null, /got null/],
      ["\ud800 lone surrogate", /lone UTF-16 surrogate/],
    ])("value %j is refused with InvalidStateValueError and nothing is written", async (value, message) => {
      const { taskState } = await accessor();
      await expect(taskState.set("k", value as string)).rejects.toThrow(message);
      await expect(taskState.set("k", value as string)).rejects.toBeInstanceOf(InvalidStateValueError);
      expect(await rows()).toEqual([]);
      expect(h.calls).toEqual([]);
    });
  });

  async function reopen() {
    const { openSqliteStateStore } = await import("@flowstate/store");
    const { join } = await import("node:path");
    const store = await openSqliteStateStore({ path: join(h.dir, "airflow.db") });
    return store;
  }
});

describe("AssetStateAccessor", () => {
  const h = useHarness();
  const byName = () =>
    new AssetStateAccessor({ name: ORDERS.name, client: h.client, conf: config(), backend: h.backend });
  const assetRows = () => h.store.listAssetState({ name: ORDERS.name });

  it("set() stores the value in the backend and records only its reference", async () => {
    await h.store.registerAsset(ORDERS);
    await byName().set("watermark", "2026-05-01");
    const [row] = await assetRows();
    expect(row?.value).toMatch(/^memory:\/\/.*\/asset\/name\/my_asset\/watermark\/[0-9a-z]{9}-[0-9a-f]{16}$/);
    expect(row?.backend).toBe("MemoryStateBackend");
    expect(await storedRefs(h.backend)).toEqual([row?.value]);
    expect(await h.backend.get(new AssetScope({ name: ORDERS.name }), "watermark")).toBe("2026-05-01");
  });

  it("get() resolves the reference; by uri reads the same value (one identity per asset)", async () => {
    await h.store.registerAsset(ORDERS);
    await byName().set("watermark", "2026-05-01");
    expect(await byName().get("watermark")).toBe("2026-05-01");
    const byUri = new AssetStateAccessor({
      uri: ORDERS.uri,
      client: h.client,
      conf: config(),
      backend: h.backend,
    });
    expect(await byUri.get("watermark")).toBe("2026-05-01");
  });

  it("delete() and clear() remove rows and backend objects", async () => {
    await h.store.registerAsset(ORDERS);
    const accessor = byName();
    await accessor.set("watermark", "2026-05-01");
    await accessor.set("file_count", "42");
    await accessor.delete("watermark");
    expect((await assetRows()).map((r) => r.key)).toEqual(["file_count"]);
    await accessor.clear();
    expect(await assetRows()).toEqual([]);
    expect(await h.backend.get(accessor.scope, "file_count")).toBeUndefined();
    expect(await storedRefs(h.backend)).toEqual([]);
    // The asset's identity is resolved once, before the first object is written.
    expect(h.calls).toEqual([
      "getAsset",
      "setAssetState",
      "setAssetState",
      "deleteAssetState",
      "clearAssetState",
    ]);
  });

  it("AssetStateAccessors finds an inlet by object, name or uri, and refuses other assets", async () => {
    const accessors = new AssetStateAccessors([ORDERS, { uri: "s3://other" }], {
      client: h.client,
      conf: config(),
      backend: h.backend,
    });
    expect(accessors.size).toBe(2);
    expect(accessors.get(ORDERS)).toBe(accessors.get("my_asset"));
    expect(accessors.get("s3://bucket/data")).toBe(accessors.get("my_asset"));
    expect(accessors.get("s3://other").scope.uri).toBe("s3://other");
    expect(() => accessors.get("unknown")).toThrow(StateValidationError);
    expect(() => accessors.get("unknown")).toThrow(/not an inlet of this task/);
  });
});
