// PostgreSQL only: task state writes by task instance id that arrive together (the state API
// server's concurrent requests) are written as one statement and one commit, and each caller still
// gets exactly its own outcome: the row it replaced, its missing task instance, its own failure.
import { StateStoreError, TaskInstanceNotFoundError } from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { openStateStore, type StateStore } from "../src/index.js";
import { MAX_WRITE_BATCH } from "../src/postgres/postgres-database.js";
import {
  configOf,
  freshPostgresDatabase,
  openPostgresTestStore,
  plain,
  postgresUrlOf,
  TASK,
  tempDir,
  testClock,
  untilStoreWaitsOnLock,
  withPostgresClient,
} from "./helpers.js";

const NO_EXPIRY = { expiresAt: null };

/** Transaction ids the database handed out while `work` ran (each write transaction takes one). */
async function transactionsDuring(store: StateStore, work: () => Promise<unknown>): Promise<number> {
  const url = postgresUrlOf(store);
  const xid = () =>
    withPostgresClient(url, async (client) =>
      Number((await client.query("SELECT pg_current_xact_id()::text::bigint AS x")).rows[0].x),
    );
  const before = await xid();
  await work();
  return (await xid()) - before - 1; // the second probe takes one itself
}

async function taskInstances(store: StateStore, count: number): Promise<string[]> {
  const tis = await Promise.all(
    Array.from({ length: count }, (_, i) => store.createTaskInstance({ ...TASK, taskId: `task_${i}` })),
  );
  return tis.map((ti) => ti.id);
}

describe("PostgreSQL: concurrent task state writes go in batches", () => {
  it("writes made together commit together: 64 sets of 64 task instances take far fewer than 64 transactions", async () => {
    const store = await openPostgresTestStore();
    const ids = await taskInstances(store, MAX_WRITE_BATCH);
    const client = store.client();
    const transactions = await transactionsDuring(store, () =>
      Promise.all(ids.map((id, i) => client.setTaskState(id, "k", `v${i}`, NO_EXPIRY))),
    );
    expect(transactions).toBeGreaterThanOrEqual(1);
    expect(transactions).toBeLessThanOrEqual(4);
    // Every value landed under its own task instance, and a second round replaces each exactly.
    const replaced = await Promise.all(ids.map((id, i) => client.setTaskState(id, "k", `w${i}`, NO_EXPIRY)));
    expect(replaced).toEqual(ids.map((_, i) => plain(`v${i}`)));
    expect(await Promise.all(ids.map((id) => client.getTaskState(id, "k")))).toEqual(
      ids.map((_, i) => plain(`w${i}`)),
    );
  });

  it("a batch keeps each write's own value, backend and expiry, inserts and replacements mixed", async () => {
    const store = await openPostgresTestStore();
    const [a, b, c] = await taskInstances(store, 3);
    const client = store.client();
    await client.setTaskState(a as string, "k", "old-a", NO_EXPIRY);
    const expiresAt = new Date("2031-02-03T04:05:06.789Z");
    const replaced = await Promise.all([
      client.setTaskState(a as string, "k", "s3://b/a", { expiresAt, backend: "m.A" }),
      client.setTaskState(b as string, "k", "plain é ✓ \u{1F600}", NO_EXPIRY),
      client.setTaskState(c as string, "other", "", { expiresAt: null, backend: "m.C" }),
    ]);
    expect(replaced).toEqual([plain("old-a"), undefined, undefined]);
    const rows = await store.listTaskState({ dagId: TASK.dagId });
    expect(
      rows.map(({ taskId, key, value, backend, expiresAt: at }) => ({ taskId, key, value, backend, at })),
    ).toEqual([
      { taskId: "task_0", key: "k", value: "s3://b/a", backend: "m.A", at: expiresAt },
      { taskId: "task_1", key: "k", value: "plain é ✓ \u{1F600}", backend: null, at: null },
      { taskId: "task_2", key: "other", value: "", backend: "m.C", at: null },
    ]);
  });

  it("many writers of one key in one batch: each gets back the value it replaced, every value is handed back once", async () => {
    const store = await openPostgresTestStore();
    const tries = await Promise.all(
      [1, 2].map((tryNumber) => store.createTaskInstance({ ...TASK, tryNumber })),
    ); // two tries of one task share its state
    const client = store.client();
    for (let round = 0; round < 5; round++) {
      const key = `hot-${round}`;
      const written = Array.from({ length: 24 }, (_, w) => `r${round}-w${w}`);
      const replaced = await Promise.all(
        written.map((value, w) => client.setTaskState(tries[w % 2]?.id as string, key, value, NO_EXPIRY)),
      );
      expect(replaced.filter((row) => row === undefined)).toHaveLength(1); // one insert
      const handedBack = replaced.flatMap((row) => (row ? [row.value] : []));
      const left = await client.getTaskState(tries[0]?.id as string, key);
      expect(left).toBeDefined();
      expect([...handedBack, left?.value].sort()).toEqual([...written].sort());
    }
  });

  it("a missing task instance fails only its own write; the others in its batch are written", async () => {
    const store = await openPostgresTestStore();
    const ids = await taskInstances(store, 4);
    const client = store.client();
    const outcomes = await Promise.allSettled([
      ...ids.map((id) => client.setTaskState(id, "k", `v-${id}`, NO_EXPIRY)),
      client.setTaskState("no-such-ti", "k", "lost", NO_EXPIRY),
    ]);
    expect(outcomes.slice(0, 4).map((o) => o.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    const missing = outcomes[4];
    expect(missing?.status).toBe("rejected");
    expect((missing as PromiseRejectedResult).reason).toBeInstanceOf(TaskInstanceNotFoundError);
    for (const id of ids) expect(await client.getTaskState(id, "k")).toEqual(plain(`v-${id}`));
  });

  it("a write stuck behind a lock fails alone: the batch it was in is re-run write by write", async () => {
    const url = await freshPostgresDatabase();
    const conf = configOf(
      { database: { sql_alchemy_conn: url, statement_timeout_ms: "300" } },
      await tempDir(),
    );
    const store = await openStateStore(conf);
    try {
      const [locked, free1, free2] = await taskInstances(store, 3);
      const client = store.client();
      await client.setTaskState(locked as string, "k", "old", NO_EXPIRY);
      await withPostgresClient(url, async (blocker) => {
        await blocker.query("BEGIN");
        await blocker.query("SELECT * FROM task_state FOR UPDATE");
        const outcomes = await Promise.allSettled([
          client.setTaskState(locked as string, "k", "new", NO_EXPIRY),
          client.setTaskState(free1 as string, "k", "a", NO_EXPIRY),
          client.setTaskState(free2 as string, "k", "b", NO_EXPIRY),
        ]);
        await blocker.query("ROLLBACK");
        expect(outcomes.map((o) => o.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
        const error = (outcomes[0] as PromiseRejectedResult).reason as Error;
        expect(error).toBeInstanceOf(StateStoreError);
        expect(error.message).toMatch(/statement timeout/);
      });
      expect(await client.getTaskState(locked as string, "k")).toEqual(plain("old"));
      expect(await client.getTaskState(free1 as string, "k")).toEqual(plain("a"));
      expect(await client.getTaskState(free2 as string, "k")).toEqual(plain("b"));
    } finally {
      await store.close();
    }
  });

  it("a purge chosen as a deadlock's victim runs again and still removes every expired row once", async () => {
    // Batches lock rows in key order and the purge in the order it finds them: another transaction
    // holding B and reaching for A while the purge holds A and waits on B is such a circle.
    const clock = testClock("2030-01-01T00:00:00.000Z");
    const store = await openPostgresTestStore({ now: clock.now });
    const [id] = await taskInstances(store, 1);
    const client = store.client();
    await client.setTaskState(id as string, "A", "a", { expiresAt: new Date("2030-01-01T00:00:01.000Z") });
    await client.setTaskState(id as string, "B", "b", { expiresAt: new Date("2030-01-01T00:00:02.000Z") });
    clock.set("2030-01-02T00:00:00.000Z");
    await withPostgresClient(postgresUrlOf(store), async (other) => {
      await other.query("BEGIN");
      await other.query("SELECT 1 FROM task_state WHERE key = 'B' FOR UPDATE");
      const purge = store.purgeExpired();
      await untilStoreWaitsOnLock(other); // the purge holds A, waits on B
      // Waits on the purge: after deadlock_timeout the purge, waiting longest, is rolled back.
      await other.query("SELECT 1 FROM task_state WHERE key = 'A' FOR UPDATE");
      await other.query("COMMIT");
      const purged = await purge;
      expect(purged.map((row) => row.key).sort()).toEqual(["A", "B"]);
    });
    expect(await client.getTaskState(id as string, "A")).toBeUndefined();
  }, 20_000);
});
