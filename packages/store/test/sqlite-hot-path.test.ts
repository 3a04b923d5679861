// The SQLite client answers getTaskState/setTaskState with one statement each, the task instance
// checked in that statement and the replaced row taken from the upsert itself. Nothing is cached
// between calls: what another connection (another worker process) does in between is seen.
import {
  type FlowstateError,
  InvalidStateKeyError,
  StateStoreError,
  TaskInstanceNotFoundError,
} from "@flowstate/shared-state";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteTestStore, TASK } from "./helpers.js";

const NO_EXPIRY = { expiresAt: null };
const S3 = "@flowstate/backend-s3.S3StateBackend";

describe("SQLite hot path: one statement per call, nothing cached", () => {
  it("a task instance created by another connection is usable at once", async () => {
    const first = await openSqliteTestStore();
    const second = await openSqliteTestStore({ path: first.location });
    await expect(first.client().getTaskState("ti-later", "k")).rejects.toThrow(TaskInstanceNotFoundError);
    await second.createTaskInstance({ ...TASK, id: "ti-later" });
    expect(await first.client().setTaskState("ti-later", "k", "v", NO_EXPIRY)).toBeUndefined();
    expect(await first.client().getTaskState("ti-later", "k")).toEqual({ value: "v", backend: null });
  });

  it("a task instance deleted by another program is seen by the next get and set, which write nothing", async () => {
    const store = await openSqliteTestStore();
    const client = store.client();
    const ti = await store.createTaskInstance(TASK);
    await client.setTaskState(ti.id, "k", "v", NO_EXPIRY);
    const other = new Database(store.location);
    try {
      other.prepare("DELETE FROM task_instance WHERE id = ?").run(ti.id);
    } finally {
      other.close();
    }
    const get = await client.getTaskState(ti.id, "k").catch((error: unknown) => error);
    expect(get).toBeInstanceOf(TaskInstanceNotFoundError);
    expect((get as Error).message).toMatch(/getTaskState failed .* task instance '.*' does not exist/);
    const set = await client.setTaskState(ti.id, "k", "v2", NO_EXPIRY).catch((error: unknown) => error);
    expect(set).toBeInstanceOf(TaskInstanceNotFoundError);
    expect((set as Error).message).toMatch(/setTaskState failed .* task instance '.*' does not exist/);
    expect((await store.listTaskState()).map((row) => row.value)).toEqual(["v"]);
  });

  it("a set answers with the row another connection wrote in between, not one it saw before", async () => {
    const first = await openSqliteTestStore();
    const second = await openSqliteTestStore({ path: first.location });
    const ti = await first.createTaskInstance(TASK);
    await first.client().setTaskState(ti.id, "k", "s3://b/k/1", { ...NO_EXPIRY, backend: S3 });
    expect(
      await second.client().setTaskState(ti.id, "k", "s3://b/k/2", { ...NO_EXPIRY, backend: S3 }),
    ).toEqual({ value: "s3://b/k/1", backend: S3 });
    expect(await first.client().setTaskState(ti.id, "k", "plain", NO_EXPIRY)).toEqual({
      value: "s3://b/k/2",
      backend: S3,
    });
    expect(await second.client().getTaskState(ti.id, "k")).toEqual({ value: "plain", backend: null });
  });

  it("rows cleared by another connection's succeedTask are gone for the next get", async () => {
    const worker = await openSqliteTestStore();
    const supervisor = await openSqliteTestStore({ path: worker.location, clearOnSuccess: true });
    const ti = await worker.createTaskInstance(TASK);
    await worker.client().setTaskState(ti.id, "k", "v", NO_EXPIRY);
    expect(await worker.client().getTaskState(ti.id, "k")).toEqual({ value: "v", backend: null });
    await supervisor.client().succeedTask(ti.id);
    expect(await worker.client().getTaskState(ti.id, "k")).toBeUndefined();
  });

  it("each key gets its own replaced row, also when calls are not awaited one by one", async () => {
    const store = await openSqliteTestStore();
    const client = store.client();
    const ti = await store.createTaskInstance(TASK);
    await Promise.all(["a", "b", "c"].map((key) => client.setTaskState(ti.id, key, `${key}1`, NO_EXPIRY)));
    const replaced = await Promise.all(
      ["a", "b", "c"].map((key) => client.setTaskState(ti.id, key, `${key}2`, NO_EXPIRY)),
    );
    expect(replaced.map((row) => row?.value)).toEqual(["a1", "b1", "c1"]);
  });

  it("bad input and driver failures reject the promise (never throw synchronously), wrapped as on every path", async () => {
    const store = await openSqliteTestStore({ busyTimeoutMs: 20 });
    const client = store.client();
    const ti = await store.createTaskInstance(TASK);
    let bad: Promise<unknown> | undefined;
    expect(() => {
      bad = client.getTaskState(ti.id, "");
    }).not.toThrow();
    await expect(bad).rejects.toThrow(InvalidStateKeyError);

    const blocker = new Database(store.location);
    try {
      blocker.exec("BEGIN EXCLUSIVE"); // another process holding the write lock
      const error = await client.setTaskState(ti.id, "k", "v", NO_EXPIRY).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateStoreError);
      expect((error as Error).message).toMatch(/setTaskState failed for .*metadata\.db/);
      expect((error as FlowstateError).cause).toBeInstanceOf(Error);
    } finally {
      blocker.exec("ROLLBACK");
      blocker.close();
    }
    expect(await store.listTaskState()).toEqual([]);
  });

  it("the function that reports the replaced row cannot be reached from a trigger another program adds", async () => {
    const store = await openSqliteTestStore();
    const ti = await store.createTaskInstance(TASK);
    const other = new Database(store.location);
    try {
      other.exec(`CREATE TRIGGER sneak AFTER INSERT ON task_state BEGIN
        SELECT flowstate_replaced_row('x', NULL, NULL); END`);
    } finally {
      other.close();
    }
    const error = await store
      .client()
      .setTaskState(ti.id, "k", "v", NO_EXPIRY)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as Error).message).toMatch(/unsafe use of flowstate_replaced_row/);
  });
});
