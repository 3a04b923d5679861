import {
  InvalidScopeError,
  InvalidStateKeyError,
  InvalidStateValueError,
  StateStoreError,
  StateValidationError,
  TaskInstanceNotFoundError,
} from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { countRows, DIALECTS, openTestStore, plain, TASK, testClock } from "./helpers.js";

const NO_EXPIRY = { expiresAt: null };

describe.each(DIALECTS)("%s", (dialect) => {
  describe("task instances", () => {
    it("creates a queued task instance with defaults and reads it back", async () => {
      const store = await openTestStore(dialect);
      const ti = await store.createTaskInstance(TASK);
      expect(ti).toEqual({ ...TASK, id: ti.id, mapIndex: -1, tryNumber: 1, state: "queued" });
      expect(ti.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await store.getTaskInstance(ti.id)).toEqual(ti);
      expect(await store.getTaskInstance("nope")).toBeUndefined();
    });

    it("keeps a given id, map index and try number", async () => {
      const store = await openTestStore(dialect);
      const ti = await store.createTaskInstance({ ...TASK, id: "ti-7", mapIndex: 3, tryNumber: 2 });
      expect(await store.getTaskInstance("ti-7")).toEqual({ ...ti, mapIndex: 3, tryNumber: 2 });
    });

    it("refuses a duplicate id and leaves the first record as it was", async () => {
      const store = await openTestStore(dialect);
      await store.createTaskInstance({ ...TASK, id: "ti-1" });
      const duplicate = store.createTaskInstance({ ...TASK, taskId: "other", id: "ti-1" });
      await expect(duplicate).rejects.toThrow(StateStoreError);
      await expect(duplicate).rejects.toThrow(/task instance id 'ti-1' is already taken/);
      expect((await store.getTaskInstance("ti-1"))?.taskId).toBe(TASK.taskId);
    });

    it.each([
      ["an empty dag id", { ...TASK, dagId: "" }, InvalidScopeError],
      ["a negative map index", { ...TASK, mapIndex: -2 }, InvalidScopeError],
      ["a fractional try number", { ...TASK, tryNumber: 1.5 }, StateValidationError],
      ["an empty id", { ...TASK, id: "" }, InvalidScopeError],
      ["not an object", null, StateValidationError],
    ])("rejects %s and writes nothing", async (_name, init, errorClass) => {
      const store = await openTestStore(dialect);
      // biome-ignore lint/suspicious/noExplicitAny: feeding bad input on purpose.
      await expect(store.createTaskInstance(init as any)).rejects.toThrow(errorClass);
      expect(await countRows(store, "task_instance")).toBe(0);
    });

    it("failTask and succeedTask record the outcome", async () => {
      const store = await openTestStore(dialect);
      const first = await store.createTaskInstance(TASK);
      const second = await store.createTaskInstance({ ...TASK, tryNumber: 2 });
      await store.client().failTask(first.id);
      await store.client().succeedTask(second.id);
      expect((await store.getTaskInstance(first.id))?.state).toBe("failed");
      expect((await store.getTaskInstance(second.id))?.state).toBe("success");
    });
  });

  describe("task state", () => {
    it("round-trips set, get, overwrite, delete and clear", async () => {
      const store = await openTestStore(dialect);
      const client = store.client();
      const ti = await store.createTaskInstance(TASK);
      expect(await client.getTaskState(ti.id, "job_id")).toBeUndefined();
      await client.setTaskState(ti.id, "job_id", "app_1", NO_EXPIRY);
      await client.setTaskState(ti.id, "job_id", "app_2", NO_EXPIRY);
      await client.setTaskState(ti.id, "checkpoint", "", NO_EXPIRY);
      expect(await client.getTaskState(ti.id, "job_id")).toEqual(plain("app_2"));
      expect(await client.getTaskState(ti.id, "checkpoint")).toEqual(plain(""));
      await client.deleteTaskState(ti.id, "job_id");
      expect(await client.deleteTaskState(ti.id, "job_id")).toBeUndefined(); // no-op when missing
      expect(await client.getTaskState(ti.id, "job_id")).toBeUndefined();
      expect(await client.getTaskState(ti.id, "checkpoint")).toEqual(plain(""));
      await client.clearTaskState(ti.id);
      expect(await store.listTaskState()).toEqual([]);
    });

    it("stores unicode keys and values unchanged", async () => {
      const store = await openTestStore(dialect);
      const ti = await store.createTaskInstance(TASK);
      const value = 'ünïcødé 🚀 "quotes" \n newline \u0000 nul';
      await store.client().setTaskState(ti.id, "schlüssel/🔑", value, NO_EXPIRY);
      expect(await store.client().getTaskState(ti.id, "schlüssel/🔑")).toEqual(plain(value));
    });

    it("lets a retry (a new task instance of the same task) read what the first try wrote", async () => {
      const store = await openTestStore(dialect);
      const client = store.client();
      const first = await store.createTaskInstance({ ...TASK, mapIndex: 2, tryNumber: 1 });
      await client.setTaskState(first.id, "job_id", "app_42", NO_EXPIRY);
      await client.failTask(first.id);
      const retry = await store.createTaskInstance({ ...TASK, mapIndex: 2, tryNumber: 2 });
      expect(retry.id).not.toBe(first.id);
      expect(await client.getTaskState(retry.id, "job_id")).toEqual(plain("app_42"));
      await client.setTaskState(retry.id, "job_id", "app_43", NO_EXPIRY);
      expect(await client.getTaskState(first.id, "job_id")).toEqual(plain("app_43"));
      expect(await store.listTaskState()).toHaveLength(1);
    });

    it("keeps map indices, sibling tasks and other runs apart", async () => {
      const store = await openTestStore(dialect);
      const client = store.client();
      const mapped0 = await store.createTaskInstance({ ...TASK, mapIndex: 0 });
      const mapped1 = await store.createTaskInstance({ ...TASK, mapIndex: 1 });
      const sibling = await store.createTaskInstance({ ...TASK, taskId: "extract_2", mapIndex: 0 });
      const otherRun = await store.createTaskInstance({ ...TASK, runId: "manual__2030-01-02", mapIndex: 0 });
      for (const ti of [mapped0, mapped1, sibling, otherRun]) {
        await client.setTaskState(ti.id, "k", `${ti.taskId}/${ti.runId}/${ti.mapIndex}`, NO_EXPIRY);
      }
      expect(await client.getTaskState(mapped0.id, "k")).toEqual(plain(`extract/${TASK.runId}/0`));
      expect(await client.getTaskState(mapped1.id, "k")).toEqual(plain(`extract/${TASK.runId}/1`));

      await client.clearTaskState(mapped0.id);
      expect(await client.getTaskState(mapped0.id, "k")).toBeUndefined();
      expect(await client.getTaskState(mapped1.id, "k")).toBeDefined();

      await client.setTaskState(mapped0.id, "k", "again", NO_EXPIRY);
      await client.clearTaskState(mapped0.id, { allMapIndices: true });
      const left = await store.listTaskState();
      expect(left.map((row) => [row.taskId, row.runId, row.mapIndex])).toEqual([
        ["extract_2", TASK.runId, 0],
        ["extract", "manual__2030-01-02", 0],
      ]);
    });

    it("filters listTaskState by any field", async () => {
      const store = await openTestStore(dialect);
      const a = await store.createTaskInstance({ ...TASK, mapIndex: 0 });
      const b = await store.createTaskInstance({ ...TASK, mapIndex: 1 });
      const c = await store.createTaskInstance({ ...TASK, dagId: "other_dag" });
      for (const ti of [a, b, c]) await store.client().setTaskState(ti.id, "k", ti.id, NO_EXPIRY);
      expect((await store.listTaskState({ mapIndex: 1 })).map((r) => r.value)).toEqual([b.id]);
      expect((await store.listTaskState({ dagId: "other_dag" })).map((r) => r.value)).toEqual([c.id]);
      expect(await store.listTaskState({ ...TASK })).toHaveLength(2);
      expect(await store.listTaskState({ taskId: "missing" })).toEqual([]);
      await expect(store.listTaskState({ mapIndex: 0.5 })).rejects.toThrow(InvalidScopeError);
    });

    it("round-trips a 5 MB value", async () => {
      const store = await openTestStore(dialect);
      const ti = await store.createTaskInstance(TASK);
      const value = "0123456789abcdef✓".repeat(300_000); // ~5.4 MB in UTF-8
      await store.client().setTaskState(ti.id, "big", value, NO_EXPIRY);
      const read = await store.client().getTaskState(ti.id, "big");
      expect(read?.value.length).toBe(value.length);
      expect(read?.value === value).toBe(true);
      expect(read?.backend).toBeNull();
    });
  });

  describe("expiry", () => {
    it("hides expired rows, and purgeExpired deletes exactly them", async () => {
      const clock = testClock("2030-01-01T00:00:00.000Z");
      const store = await openTestStore(dialect, { now: clock.now });
      const client = store.client();
      const ti = await store.createTaskInstance(TASK);
      await client.setTaskState(ti.id, "soon", "a", { expiresAt: new Date("2030-01-02T00:00:00.000Z") });
      await client.setTaskState(ti.id, "later", "b", { expiresAt: new Date("2030-02-01T00:00:00.000Z") });
      await client.setTaskState(ti.id, "never", "c", { expiresAt: null });

      clock.set("2030-01-01T23:59:59.999Z");
      expect(await client.getTaskState(ti.id, "soon")).toEqual(plain("a"));
      clock.set("2030-01-02T00:00:00.000Z"); // expires_at <= now: expired
      expect(await client.getTaskState(ti.id, "soon")).toBeUndefined();
      expect(await client.getTaskState(ti.id, "later")).toEqual(plain("b"));

      expect((await store.listTaskState()).map((r) => r.key)).toEqual(["later", "never", "soon"]);
      expect((await store.purgeExpired()).map((r) => r.key)).toEqual(["soon"]);
      expect((await store.listTaskState()).map((r) => r.key)).toEqual(["later", "never"]);

      expect((await store.purgeExpired(new Date("2999-01-01T00:00:00.000Z"))).map((r) => r.key)).toEqual([
        "later",
      ]);
      expect((await store.listTaskState()).map((r) => r.key)).toEqual(["never"]);
      expect(await client.getTaskState(ti.id, "never")).toEqual(plain("c"));
    });

    it("records expiresAt and updatedAt as given by the clock", async () => {
      const clock = testClock("2030-05-05T05:05:05.005Z");
      const store = await openTestStore(dialect, { now: clock.now });
      const ti = await store.createTaskInstance(TASK);
      const expiresAt = new Date("2030-06-01T00:00:00.123Z");
      await store.client().setTaskState(ti.id, "k", "v", { expiresAt });
      expect(await store.listTaskState()).toEqual([
        { ...TASK, mapIndex: -1, key: "k", value: "v", backend: null, expiresAt, updatedAt: clock.now() },
      ]);
    });

    it("a set replaces an expired row and its expiry", async () => {
      const clock = testClock("2030-01-01T00:00:00.000Z");
      const store = await openTestStore(dialect, { now: clock.now });
      const ti = await store.createTaskInstance(TASK);
      await store
        .client()
        .setTaskState(ti.id, "k", "old", { expiresAt: new Date("2030-01-01T01:00:00.000Z") });
      clock.set("2030-01-01T02:00:00.000Z");
      await store.client().setTaskState(ti.id, "k", "new", { expiresAt: null });
      expect(await store.client().getTaskState(ti.id, "k")).toEqual(plain("new"));
      expect(await store.purgeExpired()).toEqual([]);
    });

    it("rejects a bad purge date", async () => {
      const store = await openTestStore(dialect);
      await expect(store.purgeExpired(new Date("not a date"))).rejects.toThrow(StateValidationError);
    });
  });

  describe("clear_on_success", () => {
    async function succeedWith(clearOnSuccess: boolean) {
      const store = await openTestStore(dialect, { clearOnSuccess });
      const client = store.client();
      const ti = await store.createTaskInstance({ ...TASK, mapIndex: 0 });
      const otherMapIndex = await store.createTaskInstance({ ...TASK, mapIndex: 1 });
      await client.setTaskState(ti.id, "k", "mine", NO_EXPIRY);
      await client.setTaskState(otherMapIndex.id, "k", "sibling", NO_EXPIRY);
      await client.succeedTask(ti.id);
      return { store, ti };
    }

    it("on: succeedTask deletes the task instance's own rows only", async () => {
      const { store, ti } = await succeedWith(true);
      expect((await store.getTaskInstance(ti.id))?.state).toBe("success");
      expect((await store.listTaskState()).map((r) => r.value)).toEqual(["sibling"]);
    });

    it("off (the default): succeedTask keeps the rows", async () => {
      const { store, ti } = await succeedWith(false);
      expect((await store.getTaskInstance(ti.id))?.state).toBe("success");
      expect((await store.listTaskState()).map((r) => r.value)).toEqual(["mine", "sibling"]);
    });

    it("failTask keeps the rows even with clear_on_success", async () => {
      const store = await openTestStore(dialect, { clearOnSuccess: true });
      const ti = await store.createTaskInstance(TASK);
      await store.client().setTaskState(ti.id, "k", "v", NO_EXPIRY);
      await store.client().failTask(ti.id);
      expect(await store.listTaskState()).toHaveLength(1);
    });
  });

  describe("bad input", () => {
    it("names the unknown task instance in every task-state operation", async () => {
      const store = await openTestStore(dialect);
      const client = store.client();
      // Called one at a time: a networked dialect rejects before a later `expect` would attach.
      const calls = [
        () => client.getTaskState("ti-missing", "k"),
        () => client.setTaskState("ti-missing", "k", "v", NO_EXPIRY),
        () => client.deleteTaskState("ti-missing", "k"),
        () => client.clearTaskState("ti-missing"),
        () => client.succeedTask("ti-missing"),
        () => client.failTask("ti-missing"),
      ];
      for (const call of calls) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TaskInstanceNotFoundError);
        expect((error as Error).message).toMatch(/task instance 'ti-missing' does not exist/);
      }
      expect(await store.listTaskState()).toEqual([]);
    });

    it.each([
      ["empty key", "", "v", InvalidStateKeyError],
      ["key with a control character", "a\nb", "v", InvalidStateKeyError],
      ["over-long key", "k".repeat(251), "v", InvalidStateKeyError],
      ["non-string key", 42, "v", InvalidStateKeyError],
      ["non-string value", "k", { a: 1 }, InvalidStateValueError],
      ["undefined value", "k", undefined, InvalidStateValueError],
      ["lone surrogate value", "k", "\ud800", InvalidStateValueError],
    ])("rejects a %s with nothing written", async (_name, key, value, errorClass) => {
      const store = await openTestStore(dialect);
      const ti = await store.createTaskInstance(TASK);
      // biome-ignore lint/suspicious/noExplicitAny: feeding bad input on purpose.
      await expect(store.client().setTaskState(ti.id, key as any, value as any, NO_EXPIRY)).rejects.toThrow(
        errorClass,
      );
      expect(await store.listTaskState()).toEqual([]);
    });

    it.each([
      ["a missing options object", undefined],
      ["a missing expiresAt", {}],
      ["an invalid Date", { expiresAt: new Date("nope") }],
      ["a number", { expiresAt: 1_900_000_000_000 }],
    ])("rejects %s for expiresAt with nothing written", async (_name, options) => {
      const store = await openTestStore(dialect);
      const ti = await store.createTaskInstance(TASK);
      // biome-ignore lint/suspicious/noExplicitAny: feeding bad input on purpose.
      const set = store.client().setTaskState(ti.id, "k", "v", options as any);
      await expect(set).rejects.toThrow(StateValidationError);
      await expect(set).rejects.toThrow(/expiresAt/);
      expect(await store.listTaskState()).toEqual([]);
    });

    it("rejects a non-string task instance id with a validation error", async () => {
      const store = await openTestStore(dialect);
      // biome-ignore lint/suspicious/noExplicitAny: feeding bad input on purpose.
      await expect(store.client().getTaskState(123 as any, "k")).rejects.toThrow(InvalidScopeError);
      // biome-ignore lint/suspicious/noExplicitAny: feeding bad input on purpose.
      await expect(store.getTaskInstance(undefined as any)).rejects.toThrow(InvalidScopeError);
    });
  });
});
