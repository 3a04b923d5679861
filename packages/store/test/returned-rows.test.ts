// Every write answers with the rows it replaced or removed (read in the same statement or
// transaction), and every row records which worker backend wrote its value as a reference.
import { StateStoreError, StateValidationError } from "@flowstate/shared-state";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import {
  countRows,
  DIALECTS,
  openSqliteTestStore,
  openTestStore,
  plain,
  TASK,
  testClock,
} from "./helpers.js";

const NO_EXPIRY = { expiresAt: null };
const S3 = "@flowstate/backend-s3.S3StateBackend";
const MEMORY = "@flowstate/backend-memory.MemoryStateBackend";
const ORDERS = { name: "orders", uri: "s3://warehouse/orders" } as const;

/** A row a worker backend wrote: its reference and the backend's class path. */
const ref = (value: string, backend = S3) => ({ value, backend });
/** Removed rows in a stable order: SQLite does not promise one for `RETURNING`. */
const sorted = <T extends { key: string; mapIndex?: number }>(rows: T[]) =>
  [...rows].sort((a, b) => (a.mapIndex ?? 0) - (b.mapIndex ?? 0) || a.key.localeCompare(b.key));

describe.each(DIALECTS)("%s", (dialect) => {
  describe("task state writes return what they replaced or removed", () => {
    it("set returns undefined for a new key, then the row it replaced, with its backend", async () => {
      const store = await openTestStore(dialect);
      const client = store.client();
      const ti = await store.createTaskInstance(TASK);
      expect(await client.setTaskState(ti.id, "k", "v1", NO_EXPIRY)).toBeUndefined();
      expect(await client.setTaskState(ti.id, "k", "s3://b/k/1", { ...NO_EXPIRY, backend: S3 })).toEqual(
        plain("v1"),
      );
      expect(
        await client.setTaskState(ti.id, "k", "memory://n/k/2", { ...NO_EXPIRY, backend: MEMORY }),
      ).toEqual(ref("s3://b/k/1"));
      expect(await client.getTaskState(ti.id, "k")).toEqual(ref("memory://n/k/2", MEMORY));
    });

    it("set returns the row it replaced even when that row had expired", async () => {
      const clock = testClock("2030-01-01T00:00:00.000Z");
      const store = await openTestStore(dialect, { now: clock.now });
      const ti = await store.createTaskInstance(TASK);
      const expiresAt = new Date("2030-01-01T01:00:00.000Z");
      await store.client().setTaskState(ti.id, "k", "s3://b/old", { expiresAt, backend: S3 });
      clock.set("2030-01-02T00:00:00.000Z");
      expect(await store.client().getTaskState(ti.id, "k")).toBeUndefined();
      expect(await store.client().setTaskState(ti.id, "k", "new", NO_EXPIRY)).toEqual(ref("s3://b/old"));
    });

    it("delete returns the removed row, then undefined", async () => {
      const store = await openTestStore(dialect);
      const client = store.client();
      const ti = await store.createTaskInstance(TASK);
      await client.setTaskState(ti.id, "k", "s3://b/k/1", { ...NO_EXPIRY, backend: S3 });
      await client.setTaskState(ti.id, "plain", "v", NO_EXPIRY);
      expect(await client.deleteTaskState(ti.id, "k")).toEqual(ref("s3://b/k/1"));
      expect(await client.deleteTaskState(ti.id, "k")).toBeUndefined();
      expect(await client.deleteTaskState(ti.id, "plain")).toEqual(plain("v"));
      expect(await store.listTaskState()).toEqual([]);
    });

    it("clear returns the removed rows of its map index with mapIndex and key; allMapIndices those of every map index", async () => {
      const store = await openTestStore(dialect);
      const client = store.client();
      const zero = await store.createTaskInstance({ ...TASK, mapIndex: 0 });
      const one = await store.createTaskInstance({ ...TASK, mapIndex: 1 });
      const sibling = await store.createTaskInstance({ ...TASK, taskId: "sibling", mapIndex: 0 });
      await client.setTaskState(zero.id, "a", "s3://0/a", { ...NO_EXPIRY, backend: S3 });
      await client.setTaskState(zero.id, "b", "plain-0", NO_EXPIRY);
      await client.setTaskState(one.id, "a", "s3://1/a", { ...NO_EXPIRY, backend: S3 });
      await client.setTaskState(sibling.id, "a", "kept", NO_EXPIRY);

      expect(sorted(await client.clearTaskState(zero.id))).toEqual([
        { mapIndex: 0, key: "a", ...ref("s3://0/a") },
        { mapIndex: 0, key: "b", ...plain("plain-0") },
      ]);
      expect(await client.clearTaskState(zero.id)).toEqual([]);

      await client.setTaskState(zero.id, "a", "s3://0/a2", { ...NO_EXPIRY, backend: S3 });
      expect(sorted(await client.clearTaskState(zero.id, { allMapIndices: true }))).toEqual([
        { mapIndex: 0, key: "a", ...ref("s3://0/a2") },
        { mapIndex: 1, key: "a", ...ref("s3://1/a") },
      ]);
      expect((await store.listTaskState()).map((row) => row.value)).toEqual(["kept"]);
    });

    it.each([
      [
        true,
        [
          { mapIndex: 3, key: "job_id", value: "s3://b/job", backend: S3 },
          { mapIndex: 3, key: "n", value: "1", backend: null },
        ],
      ],
      [false, []],
    ])("succeedTask with clearOnSuccess %s returns the rows it cleared", async (clearOnSuccess, cleared) => {
      const store = await openTestStore(dialect, { clearOnSuccess });
      const client = store.client();
      const ti = await store.createTaskInstance({ ...TASK, mapIndex: 3 });
      const other = await store.createTaskInstance({ ...TASK, mapIndex: 4 });
      await client.setTaskState(ti.id, "job_id", "s3://b/job", { ...NO_EXPIRY, backend: S3 });
      await client.setTaskState(ti.id, "n", "1", NO_EXPIRY);
      await client.setTaskState(other.id, "job_id", "s3://b/other", { ...NO_EXPIRY, backend: S3 });
      const { clearedState } = await client.succeedTask(ti.id);
      expect(sorted(clearedState)).toEqual(cleared);
      expect(await store.listTaskState()).toHaveLength(3 - cleared.length);
      expect((await store.getTaskInstance(ti.id))?.state).toBe("success");
    });

    it("purgeExpired returns the expired rows with their backend, and only those", async () => {
      const clock = testClock("2030-01-01T00:00:00.000Z");
      const store = await openTestStore(dialect, { now: clock.now });
      const client = store.client();
      const ti = await store.createTaskInstance({ ...TASK, mapIndex: 2 });
      const soon = new Date("2030-01-02T00:00:00.000Z");
      await client.setTaskState(ti.id, "ref", "s3://b/ref", { expiresAt: soon, backend: S3 });
      await client.setTaskState(ti.id, "value", "v", { expiresAt: soon });
      await client.setTaskState(ti.id, "later", "s3://b/later", {
        expiresAt: new Date("2031-01-01"),
        backend: S3,
      });
      await client.setTaskState(ti.id, "never", "s3://b/never", { expiresAt: null, backend: S3 });
      clock.set("2030-06-01T00:00:00.000Z");
      const purged = await store.purgeExpired();
      expect(sorted(purged)).toEqual([
        {
          ...TASK,
          mapIndex: 2,
          key: "ref",
          value: "s3://b/ref",
          backend: S3,
          expiresAt: soon,
          updatedAt: new Date("2030-01-01T00:00:00.000Z"),
        },
        {
          ...TASK,
          mapIndex: 2,
          key: "value",
          value: "v",
          backend: null,
          expiresAt: soon,
          updatedAt: new Date("2030-01-01T00:00:00.000Z"),
        },
      ]);
      expect((await store.listTaskState()).map((row) => row.key)).toEqual(["later", "never"]);
      expect(await store.purgeExpired()).toEqual([]);
    });
  });

  describe("the backend column", () => {
    it("round-trips through get and listTaskState: null for a plain value, the class path else", async () => {
      const store = await openTestStore(dialect);
      const client = store.client();
      const ti = await store.createTaskInstance(TASK);
      await client.setTaskState(ti.id, "plain", "v", NO_EXPIRY);
      await client.setTaskState(ti.id, "explicit-null", "w", { ...NO_EXPIRY, backend: null });
      await client.setTaskState(ti.id, "ref", "s3://b/ref", { ...NO_EXPIRY, backend: S3 });
      expect(await client.getTaskState(ti.id, "plain")).toEqual(plain("v"));
      expect(await client.getTaskState(ti.id, "explicit-null")).toEqual(plain("w"));
      expect(await client.getTaskState(ti.id, "ref")).toEqual(ref("s3://b/ref"));
      expect((await store.listTaskState()).map(({ key, backend }) => [key, backend])).toEqual([
        ["explicit-null", null],
        ["plain", null],
        ["ref", S3],
      ]);
    });

    it("a later plain set clears the backend of the row", async () => {
      const store = await openTestStore(dialect);
      const ti = await store.createTaskInstance(TASK);
      await store.client().setTaskState(ti.id, "k", "s3://b/ref", { ...NO_EXPIRY, backend: S3 });
      await store.client().setTaskState(ti.id, "k", "now a value", NO_EXPIRY);
      expect(await store.client().getTaskState(ti.id, "k")).toEqual(plain("now a value"));
    });

    it("round-trips through asset state: get, set, delete, clear and listAssetState", async () => {
      const store = await openTestStore(dialect);
      const client = store.client();
      await store.registerAsset(ORDERS);
      expect(
        await client.setAssetState({ name: "orders" }, "wm", "s3://b/wm/1", { backend: S3 }),
      ).toBeUndefined();
      expect(await client.getAssetState({ uri: ORDERS.uri }, "wm")).toEqual(ref("s3://b/wm/1"));
      expect(await client.setAssetState({ uri: ORDERS.uri }, "wm", "s3://b/wm/2", { backend: S3 })).toEqual(
        ref("s3://b/wm/1"),
      );
      expect(await client.setAssetState({ name: "orders" }, "cursor", "c1")).toBeUndefined();
      expect((await store.listAssetState()).map(({ key, value, backend }) => [key, value, backend])).toEqual([
        ["cursor", "c1", null],
        ["wm", "s3://b/wm/2", S3],
      ]);
      expect(await client.deleteAssetState({ name: "orders" }, "wm")).toEqual(ref("s3://b/wm/2"));
      expect(await client.deleteAssetState({ name: "orders" }, "wm")).toBeUndefined();
      await client.setAssetState({ name: "orders" }, "wm", "s3://b/wm/3", { backend: S3 });
      expect(sorted(await client.clearAssetState({ uri: ORDERS.uri }))).toEqual([
        { key: "cursor", ...plain("c1") },
        { key: "wm", ...ref("s3://b/wm/3") },
      ]);
      expect(await client.clearAssetState({ uri: ORDERS.uri })).toEqual([]);
    });

    it.each([
      ["an empty string", ""],
      ["blanks", "   "],
      ["a number", 42],
      ["an object", { classPath: S3 }],
      ["true", true],
    ])("refuses %s as backend with a StateValidationError and writes nothing", async (_label, backend) => {
      const store = await openTestStore(dialect);
      const client = store.client();
      const ti = await store.createTaskInstance(TASK);
      await store.registerAsset(ORDERS);
      const bad = { ...NO_EXPIRY, backend } as never;
      await expect(client.setTaskState(ti.id, "k", "v", bad)).rejects.toThrow(StateValidationError);
      await expect(client.setTaskState(ti.id, "k", "v", bad)).rejects.toThrow(/Invalid backend/);
      await expect(client.setAssetState({ name: "orders" }, "k", "v", bad)).rejects.toThrow(
        StateValidationError,
      );
      expect(await countRows(store, "task_state")).toBe(0);
      expect(await countRows(store, "asset_state")).toBe(0);
    });
  });
});

describe("SQLite: a write that fails leaves the previous row", () => {
  it("when another connection holds the write lock (BEGIN IMMEDIATE)", async () => {
    const store = await openSqliteTestStore({ busyTimeoutMs: 10 });
    const client = store.client();
    const ti = await store.createTaskInstance(TASK);
    await store.registerAsset(ORDERS);
    await client.setTaskState(ti.id, "k", "s3://b/old", { ...NO_EXPIRY, backend: S3 });
    await client.setAssetState({ name: "orders" }, "k", "s3://b/asset-old", { backend: S3 });
    const blocker = new Database(store.location);
    try {
      blocker.exec("BEGIN IMMEDIATE");
      const writes = [
        client.setTaskState(ti.id, "k", "s3://b/new", { ...NO_EXPIRY, backend: S3 }),
        client.deleteTaskState(ti.id, "k"),
        client.clearTaskState(ti.id),
        client.setAssetState({ name: "orders" }, "k", "s3://b/asset-new", { backend: S3 }),
        client.deleteAssetState({ name: "orders" }, "k"),
        client.clearAssetState({ name: "orders" }),
      ];
      for (const write of writes) await expect(write).rejects.toThrow(StateStoreError);
      // Readers are not blocked by a writer in WAL mode: the previous rows are still there.
      expect(await client.getTaskState(ti.id, "k")).toEqual(ref("s3://b/old"));
    } finally {
      blocker.exec("ROLLBACK");
      blocker.close();
    }
    expect(await client.getTaskState(ti.id, "k")).toEqual(ref("s3://b/old"));
    expect(await client.getAssetState({ uri: ORDERS.uri }, "k")).toEqual(ref("s3://b/asset-old"));
  });

  it("when the upsert itself fails inside the transaction", async () => {
    const store = await openSqliteTestStore();
    const client = store.client();
    const ti = await store.createTaskInstance(TASK);
    await client.setTaskState(ti.id, "k", "s3://b/old", { ...NO_EXPIRY, backend: S3 });
    // Fault injected on purpose: the update of the row fails after the replaced row was read.
    const db = new Database(store.location);
    try {
      db.exec(
        "CREATE TRIGGER no_update BEFORE UPDATE ON task_state BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
      );
    } finally {
      db.close();
    }
    const set = client.setTaskState(ti.id, "k", "s3://b/new", { ...NO_EXPIRY, backend: S3 });
    await expect(set).rejects.toThrow(StateStoreError);
    await expect(set).rejects.toThrow(`setTaskState failed for ${store.location}: disk on fire`);
    expect(await client.getTaskState(ti.id, "k")).toEqual(ref("s3://b/old"));
  });
});
