// Invariants 1-3 under faults injected at each step of set, delete, clear and clear_on_success,
// with the S3 backend on s3rver (a child process) and a SQLite store file:
// - the S3 server SIGKILLed (before the object write, mid-upload, between the object and the row,
//   after the row) and restarted on the same data directory;
// - the store locked by another process holding BEGIN IMMEDIATE, with a short busy timeout;
// - the store client failing (injected) before or after it recorded;
// - the worker process SIGKILLed while paused at a step.
// After each: every row names a whole object written for its scope and key, a failed set leaves
// the previous value, and a sweep with no grace leaves the bucket holding exactly what rows name.
// (These replace test/s3-crash.test.ts, which checked the old in-place writes.)
import { runTask, sweepOrphanedState } from "@flowstate/sdk";
import { afterEach, describe, expect, it } from "vitest";
import {
  checkAndSweep,
  conf,
  type Fixture,
  failureOf,
  listRefs,
  MIB,
  taskState,
  taskValue,
  taskValueSpec,
  tiOf,
  useFixtures,
  useOrphanWarnings,
  useS3rver,
  useTally,
} from "./harness.js";
import { type LineProcess, lockStore, type StoreLock, startByteTrigger, startWorker } from "./processes.js";
import { intercept } from "./shared.mjs";

const tally = useTally("A fault injection (s3rver + SQLite)");
const openFixture = useFixtures();
const orphanWarnings = useOrphanWarnings();
const KEY = "checkpoint";
/** Bytes of a multipart value after which its upload is cut: inside the second 5 MiB part. */
const MID_UPLOAD = 7 * MIB;

const server = useS3rver();
const locks: StoreLock[] = [];

afterEach(async () => {
  await Promise.all(locks.splice(0).map((lock) => lock.release()));
  await server.restart();
});

const open = (label: string, options?: { clearOnSuccess?: boolean }) => openFixture(server, label, options);

/** Fault: the S3 server dies (SIGKILL). */
async function crashS3(): Promise<void> {
  tally.faults += 1;
  await server.kill();
}

/** Fault: another process takes the store's write lock (released after the test, or by `release`). */
async function lock(fx: Fixture): Promise<StoreLock> {
  tally.faults += 1;
  const held = await lockStore(fx.db);
  const release = async () => {
    locks.splice(locks.indexOf(held), 1);
    await held.release();
  };
  locks.push(held);
  return { release };
}

/** Sets `key` of map index 0 to a first value (writer "seed") and returns it. */
async function seed(fx: Fixture, key = KEY, mapIndex = 0): Promise<string> {
  const value = taskValue(mapIndex, key, "seed", 0);
  await taskState(fx, mapIndex).set(key, value);
  return value;
}

/** A worker process that runs one operation on map index 0 and stops at `pause`. */
function worker(
  fx: Fixture,
  op: string,
  pause: string,
  extra: Record<string, unknown> = {},
): Promise<LineProcess> {
  return startWorker(
    { mode: "step", db: fx.db, backend: fx.backendOptions(), op, ti: tiOf(fx, 0), key: KEY, pause, ...extra },
    fx.workerEnv,
  );
}

/** Fault: the worker process is SIGKILLed where it paused. */
async function killWhenPaused(child: LineProcess): Promise<void> {
  await child.nextEvent("paused");
  tally.faults += 1;
  await child.kill();
}

/** The spec of the value a worker writes (it builds the value from it). */
const workerValue = (size: number) => taskValueSpec(0, KEY, "worker", 1, size);

describe("set", () => {
  it("S3 down before the object write: a typed failure; the old value stays, a new key stays unset", async () => {
    tally.cases += 1;
    const fx = await open("set-down");
    const before = await seed(fx);
    await crashS3();
    const state = taskState(fx);
    const overwrite = await failureOf(state.set(KEY, taskValue(0, KEY, "test", 1)));
    const fresh = await failureOf(state.set("fresh", taskValue(0, "fresh", "test", 1)));
    for (const failure of [overwrite, fresh]) {
      expect(failure).toMatchObject({ code: "FLOWSTATE_BACKEND", operation: "serialize" });
      expect(failure?.message).toMatch(/is the server running|cannot reach/i);
    }
    await server.restart();
    expect(await state.get(KEY)).toBe(before);
    expect(await state.get("fresh")).toBeUndefined();
    await checkAndSweep(fx, tally, 0);
  });

  it.each([
    ["an overwrite", true],
    ["a new key", false],
  ])(
    "S3 killed mid-upload of %s (12 MiB, 5 MiB parts): the set fails, no partial object appears",
    async (_, hasOld) => {
      tally.cases += 1;
      const fx = await open("set-mid-upload");
      const before = hasOld ? await seed(fx) : undefined;
      let killed: Promise<void> | undefined;
      const trigger = await startByteTrigger(server.port, MID_UPLOAD, () => {
        killed = crashS3();
      });
      try {
        const state = taskState(fx, 0, { backend: fx.newBackend(trigger.endpoint) });
        const failure = await failureOf(state.set(KEY, taskValue(0, KEY, "test", 1, 12 * MIB)));
        expect(killed, "the server was killed mid-upload").toBeDefined();
        expect(failure).toMatchObject({ code: "FLOWSTATE_BACKEND" });
      } finally {
        await trigger.close();
      }
      await killed;
      await server.restart();
      expect(await taskState(fx).get(KEY)).toBe(before);
      await checkAndSweep(fx, tally, 0);
    },
  );

  it("S3 killed after the object write and the row's write fails too (store locked): old value stays; the new version is a swept orphan", async () => {
    tally.cases += 1;
    const fx = await open("set-write-no-row");
    const before = await seed(fx);
    const client = intercept(fx.store.client(), {
      setTaskState: {
        before: async () => {
          await crashS3();
          await lock(fx);
        },
      },
    });
    const failure = await failureOf(taskState(fx, 0, { client }).set(KEY, taskValue(0, KEY, "test", 1)));
    expect(failure).toMatchObject({ code: "FLOWSTATE_STORE" });
    expect(await orphanWarnings.count()).toBeGreaterThan(0); // the new version could not be deleted
    await server.restart();
    expect(await taskState(fx).get(KEY)).toBe(before);
    await checkAndSweep(fx, tally, 1);
  });

  it("S3 killed after the row, before the old version's delete: the set succeeds; the old version is a swept orphan", async () => {
    tally.cases += 1;
    const fx = await open("set-row-no-delete");
    await seed(fx);
    const client = intercept(fx.store.client(), { setTaskState: { after: crashS3 } });
    const after = taskValue(0, KEY, "test", 1);
    await taskState(fx, 0, { client }).set(KEY, after);
    expect(await orphanWarnings.count()).toBeGreaterThan(0);
    await server.restart();
    expect(await taskState(fx).get(KEY)).toBe(after);
    await checkAndSweep(fx, tally, 1);
  });

  it("store locked by another process: the set fails, the previous value stays, its new version is deleted again", async () => {
    tally.cases += 1;
    const fx = await open("set-locked");
    const before = await seed(fx);
    const held = await lock(fx);
    const failure = await failureOf(taskState(fx).set(KEY, taskValue(0, KEY, "test", 1)));
    expect(failure).toMatchObject({ code: "FLOWSTATE_STORE" });
    expect(await taskState(fx).get(KEY)).toBe(before);
    await held.release();
    expect(await taskState(fx).get(KEY)).toBe(before);
    await checkAndSweep(fx, tally, 0);
  });

  it("the store fails before recording (injected): the previous value stays, nothing is left", async () => {
    tally.cases += 1;
    const fx = await open("set-store-fails");
    const before = await seed(fx);
    const client = intercept(fx.store.client(), { setTaskState: { before: throwInjected(tally) } });
    expect(
      await failureOf(taskState(fx, 0, { client }).set(KEY, taskValue(0, KEY, "test", 1))),
    ).toBeDefined();
    expect(await taskState(fx).get(KEY)).toBe(before);
    await checkAndSweep(fx, tally, 0);
  });

  it("the store fails and cannot say whether it recorded (its re-read fails too): the previous value stays; the new version is a swept orphan", async () => {
    tally.cases += 1;
    const fx = await open("set-store-unknown");
    const before = await seed(fx);
    let failed = false;
    const client = intercept(fx.store.client(), {
      setTaskState: {
        before: () => {
          failed = true;
          return throwInjected(tally)();
        },
      },
      getTaskState: { before: () => (failed ? throwInjected(tally)() : undefined) },
    });
    expect(
      await failureOf(taskState(fx, 0, { client }).set(KEY, taskValue(0, KEY, "test", 1))),
    ).toBeDefined();
    expect(await orphanWarnings.count()).toBeGreaterThan(0);
    expect(await taskState(fx).get(KEY)).toBe(before);
    await checkAndSweep(fx, tally, 1);
  });

  it("a client that commits and then throws (its answer lost) still leaves a whole value, old or new, and no reference to nothing", async () => {
    tally.cases += 1;
    const fx = await open("set-answer-lost");
    const before = await seed(fx);
    const after = taskValue(0, KEY, "test", 1);
    const client = intercept(fx.store.client(), { setTaskState: { after: throwInjected(tally) } });
    expect(await failureOf(taskState(fx, 0, { client }).set(KEY, after))).toBeDefined();
    const read = await taskState(fx).get(KEY);
    expect([before, after]).toContain(read);
    tally.notes.push(`lost-answer set reads the ${read === after ? "new" : "old"} value`);
    // The replaced row was never seen: its version is left for the sweep.
    await checkAndSweep(fx, tally, read === after ? 1 : 0);
  });

  it.each([
    ["before the object write", "old", "backend.serializeTaskStateToRef:before", 0],
    ["after the object write, before the row", "old", "client.setTaskState:before", 1],
    ["after the row, before the old version's delete", "new", "client.setTaskState:after", 1],
  ])("worker killed %s: the key reads the %s value whole", async (_, reads, pause, orphans) => {
    tally.cases += 1;
    const fx = await open("set-worker-killed");
    const before = await seed(fx);
    const spec = workerValue(300);
    await killWhenPaused(await worker(fx, "set", pause, { value: spec }));
    expect(await taskState(fx).get(KEY)).toBe(reads === "old" ? before : taskValue(0, KEY, "worker", 1, 300));
    await checkAndSweep(fx, tally, orphans);
  });

  it("worker killed mid-upload (12 MiB, 5 MiB parts): the old value stays, no partial object appears", async () => {
    tally.cases += 1;
    const fx = await open("set-worker-mid-upload");
    const before = await seed(fx);
    let child: LineProcess | undefined;
    let killed: Promise<void> | undefined;
    const trigger = await startByteTrigger(server.port, MID_UPLOAD, () => {
      tally.faults += 1;
      killed = child?.kill();
    });
    try {
      child = await startWorker(
        {
          mode: "step",
          db: fx.db,
          backend: fx.backendOptions(trigger.endpoint),
          op: "set",
          ti: tiOf(fx, 0),
          key: KEY,
          value: workerValue(12 * MIB),
        },
        fx.workerEnv,
      );
      await child.exited;
      expect(killed, "the worker was killed mid-upload").toBeDefined();
      await killed;
    } finally {
      await trigger.close();
    }
    expect(child.events.map((event) => event.event)).not.toContain("done");
    expect(await taskState(fx).get(KEY)).toBe(before);
    await checkAndSweep(fx, tally, 0);
  });

  it("a sweep with a grace period keeps the version a paused set is about to reference; the set then completes", async () => {
    tally.cases += 1;
    const fx = await open("set-grace");
    await seed(fx);
    const named = new Set(await listRefs(fx.backend));
    const child = await worker(fx, "set", "client.setTaskState:before", { value: workerValue(300) });
    await child.nextEvent("paused");
    const pending = (await listRefs(fx.backend)).filter((ref) => !named.has(ref));
    expect(pending, "the paused set's new version").toHaveLength(1);
    const swept = await sweepOrphanedState({
      store: fx.store,
      backend: fx.backend,
      olderThanMs: 60 * 60_000,
    });
    expect(swept.orphans).toEqual([]);
    expect(swept.young).toBe(1);
    expect(await listRefs(fx.backend)).toContain(pending[0]);
    child.send("continue");
    await child.nextEvent("done");
    expect(await taskState(fx).get(KEY)).toBe(taskValue(0, KEY, "worker", 1, 300));
    const [row] = await fx.store.listTaskState({ mapIndex: 0 });
    expect(row?.value).toBe(pending[0]);
    await checkAndSweep(fx, tally, 0);
  });
});

describe("get while another worker rewrites the key (deterministic interleavings)", () => {
  /**
   * A reader whose every object read is preceded by another worker's write to the same key: the
   * write replaces (or removes) the row and deletes the version the reader is about to read.
   */
  function readerInterleavedWith(fx: Fixture, writes: Array<() => Promise<void>>) {
    let reads = 0;
    const backend = intercept(fx.backend, {
      deserializeTaskStateFromRef: { before: () => writes[reads++]?.() },
    });
    return taskState(fx, 0, { backend });
  }

  it("a key deleted while a get keeps finding replaced versions reads as unset, not StateObjectMissingError", async () => {
    tally.cases += 1;
    const fx = await open("get-then-deleted");
    await seed(fx);
    const other = taskState(fx);
    const reader = readerInterleavedWith(fx, [
      () => other.set(KEY, taskValue(0, KEY, "other", 1)),
      () => other.set(KEY, taskValue(0, KEY, "other", 2)),
      () => other.delete(KEY),
    ]);
    const read = await reader.get(KEY).catch((error: Error & { code?: string }) => error);
    expect(read, "the row is gone: the key is unset").toBeUndefined();
    await checkAndSweep(fx, tally, 0);
  });

  it("a key rewritten three times during one get reads the newest value, not StateObjectMissingError", async () => {
    tally.cases += 1;
    const fx = await open("get-rewritten");
    await seed(fx);
    const other = taskState(fx);
    const writes = [1, 2, 3].map((seq) => () => other.set(KEY, taskValue(0, KEY, "other", seq)));
    const read = await readerInterleavedWith(fx, writes)
      .get(KEY)
      .catch((error: Error & { code?: string }) => error);
    expect(read, "the writers stopped: the newest value is there to read").toBe(
      taskValue(0, KEY, "other", 3),
    );
    await checkAndSweep(fx, tally, 0);
  });
});

describe("delete", () => {
  it("S3 down: the row goes, the delete resolves with a warning, and the object is a swept orphan", async () => {
    tally.cases += 1;
    const fx = await open("delete-down");
    await seed(fx);
    await crashS3();
    await taskState(fx).delete(KEY);
    expect(await orphanWarnings.count()).toBeGreaterThan(0);
    expect(await taskState(fx).get(KEY)).toBeUndefined();
    await server.restart();
    await checkAndSweep(fx, tally, 1);
  });

  it("store locked by another process: the delete fails and the value stays", async () => {
    tally.cases += 1;
    const fx = await open("delete-locked");
    const before = await seed(fx);
    await lock(fx);
    expect(await failureOf(taskState(fx).delete(KEY))).toMatchObject({ code: "FLOWSTATE_STORE" });
    expect(await taskState(fx).get(KEY)).toBe(before);
    await checkAndSweep(fx, tally, 0);
  });

  it.each([
    ["before the row's delete", "client.deleteTaskState:before", 0],
    ["after the row's delete, before the object's", "client.deleteTaskState:after", 1],
  ])("worker killed %s: no row names a missing object", async (_, pause, orphans) => {
    tally.cases += 1;
    const fx = await open("delete-worker-killed");
    const before = await seed(fx);
    await killWhenPaused(await worker(fx, "delete", pause));
    expect(await taskState(fx).get(KEY)).toBe(orphans === 0 ? before : undefined);
    await checkAndSweep(fx, tally, orphans);
  });
});

describe.each([
  ["clear", false],
  ["clear(allMapIndices)", true],
])("%s", (_, allMapIndices) => {
  /** Two keys on each of map indices 0, 1, 2. */
  async function seedAll(fx: Fixture): Promise<void> {
    for (const mapIndex of [0, 1, 2]) for (const key of ["a", "b"]) await seed(fx, key, mapIndex);
  }
  const removed = allMapIndices ? 6 : 2;
  const clear = (fx: Fixture, client = fx.store.client()) =>
    taskState(fx, 0, { client }).clear({ allMapIndices });

  it("S3 down: the rows go, the clear resolves with a warning, the objects are swept orphans", async () => {
    tally.cases += 1;
    const fx = await open("clear-down");
    await seedAll(fx);
    await crashS3();
    await clear(fx);
    expect(await orphanWarnings.count()).toBeGreaterThan(0);
    expect(await fx.store.listTaskState()).toHaveLength(6 - removed);
    await server.restart();
    await checkAndSweep(fx, tally, removed);
  });

  it("store locked by another process: the clear fails and every value stays", async () => {
    tally.cases += 1;
    const fx = await open("clear-locked");
    await seedAll(fx);
    await lock(fx);
    expect(await failureOf(clear(fx))).toMatchObject({ code: "FLOWSTATE_STORE" });
    expect(await fx.store.listTaskState()).toHaveLength(6);
    await checkAndSweep(fx, tally, 0);
  });

  it("worker killed after the rows' delete, before the objects': the objects are swept orphans", async () => {
    tally.cases += 1;
    const fx = await open("clear-worker-killed");
    await seedAll(fx);
    await killWhenPaused(
      await worker(fx, allMapIndices ? "clearAll" : "clear", "client.clearTaskState:after"),
    );
    expect(await fx.store.listTaskState()).toHaveLength(6 - removed);
    await checkAndSweep(fx, tally, removed);
  });
});

describe("clear_on_success", () => {
  /** A task that sets one more key, then succeeds. */
  const task = {
    execute: (context: { taskState: { set(key: string, value: string): Promise<void> } }) =>
      context.taskState.set("progress", taskValue(0, "progress", "task", 1)),
  };
  const run = (fx: Fixture, client = fx.store.client()) =>
    runTask({ task, ti: tiOf(fx, 0), client, conf, backend: fx.backend });

  it("S3 killed after the rows' delete: the try succeeds; the objects are swept orphans", async () => {
    tally.cases += 1;
    const fx = await open("cos-down", { clearOnSuccess: true });
    await seed(fx, "a");
    await seed(fx, "b");
    const client = intercept(fx.store.client(), { succeedTask: { before: crashS3 } });
    expect(await run(fx, client)).toMatchObject({ state: "success" });
    expect(await orphanWarnings.count()).toBeGreaterThan(0);
    expect(await fx.store.listTaskState({ mapIndex: 0 })).toEqual([]);
    await server.restart();
    await checkAndSweep(fx, tally, 3);
  });

  it("store locked at the success: the try fails to report, every value stays", async () => {
    tally.cases += 1;
    const fx = await open("cos-locked", { clearOnSuccess: true });
    await seed(fx, "a");
    const client = intercept(fx.store.client(), { succeedTask: { before: () => lock(fx) } });
    expect(await failureOf(run(fx, client))).toMatchObject({ code: "FLOWSTATE_STORE" });
    expect(await fx.store.listTaskState({ mapIndex: 0 })).toHaveLength(2);
    expect((await fx.store.getTaskInstance(tiOf(fx, 0).id))?.state).not.toBe("success");
    await checkAndSweep(fx, tally, 0);
  });

  it("worker killed after the rows' delete, before the objects': the objects are swept orphans", async () => {
    tally.cases += 1;
    const fx = await open("cos-worker-killed");
    await seed(fx, "a");
    await seed(fx, "b");
    await killWhenPaused(await worker(fx, "succeed", "client.succeedTask:after"));
    expect(await fx.store.listTaskState({ mapIndex: 0 })).toEqual([]);
    await checkAndSweep(fx, tally, 2);
  });
});

/** A hook that fails the call, counted as an injected fault. */
function throwInjected(counter: { faults: number }): () => never {
  return () => {
    counter.faults += 1;
    throw new Error("injected fault: the metadata store connection was lost");
  };
}
