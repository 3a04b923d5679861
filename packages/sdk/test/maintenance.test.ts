// Worker-side maintenance: the expiry purge removes values, not just rows; the orphan sweep removes
// objects no row names once they are older than its grace period, and nothing else.
import { ConfigError, TaskScope } from "@flowstate/shared-state";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AssetStateAccessor,
  DEFAULT_SWEEP_GRACE_MS,
  NEVER_EXPIRE,
  purgeExpiredState,
  sweepOrphanedState,
  TaskStateAccessor,
} from "../src/index.js";
import { config, type Harness, rowRefs, storedRefs, useHarness } from "./helpers.js";

const DAY = 86_400_000;
const TASK = { dagId: "dag", runId: "run", taskId: "task" } as const;
const ORDERS = { name: "my_asset", uri: "s3://bucket/data" } as const;

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A task state accessor for a new task instance of map index `mapIndex`, with the harness's backend unless `plain`. */
async function taskAccessor(h: Harness, options: { mapIndex?: number; plain?: boolean; now?: Date } = {}) {
  const mapIndex = options.mapIndex ?? -1;
  const ti = await h.store.createTaskInstance({ ...TASK, mapIndex });
  return new TaskStateAccessor({
    tiId: ti.id,
    scope: new TaskScope({ ...TASK, mapIndex }),
    client: h.client,
    conf: config(),
    backend: options.plain ? undefined : h.backend,
    now: options.now === undefined ? undefined : () => options.now as Date,
  });
}

describe("purgeExpiredState", () => {
  const h = useHarness();
  const start = new Date(Math.floor(Date.now() / 1000) * 1000);

  it("removes expired rows and the objects they named, rows first; keeps the rest", async () => {
    const mapped = await taskAccessor(h, { mapIndex: 3, now: start });
    const plain = await taskAccessor(h, { plain: true, now: start });
    await mapped.set("soon", "expires", { retention: { days: 1 } });
    await mapped.set("later", "stays", { retention: { days: 10 } });
    await mapped.set("never", "stays too", { retention: NEVER_EXPIRE });
    await plain.set("plain_soon", "a plain value", { retention: { days: 1 } });
    expect(await storedRefs(h.backend)).toHaveLength(3);

    const result = await purgeExpiredState({
      store: h.store,
      backend: h.backend,
      now: new Date(start.getTime() + 2 * DAY),
    });
    expect(result).toEqual({ rows: 2, objects: 1, left: 0 });
    expect((await h.store.listTaskState()).map((row) => row.key)).toEqual(["later", "never"]);
    expect(await storedRefs(h.backend)).toEqual(await rowRefs(h.store));
    expect(await mapped.get("later")).toBe("stays");

    const again = await purgeExpiredState({
      store: h.store,
      backend: h.backend,
      now: new Date(start.getTime() + 2 * DAY),
    });
    expect(again).toEqual({ rows: 0, objects: 0, left: 0 });
  });

  it("reports objects it could not delete as left, and the rows are gone all the same", async () => {
    const taskState = await taskAccessor(h, { now: start });
    await taskState.set("soon", "expires", { retention: { days: 1 } });
    const warning = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    h.backend.deleteStateRefs = async () => {
      throw new Error("injected: storage outage");
    };
    const result = await purgeExpiredState({
      store: h.store,
      backend: h.backend,
      now: new Date(start.getTime() + 2 * DAY),
    });
    expect(result).toEqual({ rows: 1, objects: 0, left: 1 });
    expect(warning).toHaveBeenCalledWith(expect.stringMatching(/the expiry purge/), {
      code: "FLOWSTATE_ORPHANED_OBJECTS",
    });
    expect(await h.store.listTaskState()).toEqual([]);
  });
});

describe("sweepOrphanedState", () => {
  const h = useHarness();

  it("removes an unnamed object older than the grace period; keeps a younger one and every named one", async () => {
    const t0 = Date.now();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(t0);
    const taskState = await taskAccessor(h);
    await h.store.registerAsset(ORDERS);
    const assetState = new AssetStateAccessor({
      name: ORDERS.name,
      client: h.client,
      conf: config(),
      backend: h.backend,
    });
    await taskState.set("named", "kept", { retention: NEVER_EXPIRE });
    await assetState.set("watermark", "kept too");
    // A worker that crashed between writing its object and recording it.
    const oldOrphan = await h.backend.serializeTaskStateToRef({
      value: "never recorded",
      key: "lost",
      tiId: "ti-crashed",
      scope: taskState.scope,
    });

    vi.setSystemTime(t0 + DEFAULT_SWEEP_GRACE_MS + 1);
    // A set in flight: its object is written, its row not yet.
    const youngOrphan = await h.backend.serializeTaskStateToRef({
      value: "about to be recorded",
      key: "inflight",
      tiId: "ti-running",
      scope: taskState.scope,
    });
    const named = await rowRefs(h.store);
    expect(named).toHaveLength(2);

    const dry = await sweepOrphanedState({ store: h.store, backend: h.backend, dryRun: true });
    expect(dry).toEqual({ scanned: 4, referenced: 2, young: 1, orphans: [oldOrphan], dryRun: true });
    expect(await storedRefs(h.backend)).toEqual([...named, oldOrphan, youngOrphan].sort());

    const swept = await sweepOrphanedState({ store: h.store, backend: h.backend });
    expect(swept).toEqual({ scanned: 4, referenced: 2, young: 1, orphans: [oldOrphan], dryRun: false });
    expect(await storedRefs(h.backend)).toEqual([...named, youngOrphan].sort());
    expect(await taskState.get("named")).toBe("kept");
    expect(await assetState.get("watermark")).toBe("kept too");
  });

  it("with a scope, only looks at that scope's objects", async () => {
    const zero = await taskAccessor(h, { mapIndex: 0 });
    const one = await taskAccessor(h, { mapIndex: 1 });
    const orphanOf = (accessor: TaskStateAccessor) =>
      h.backend.serializeTaskStateToRef({ value: "x", key: "lost", tiId: "ti", scope: accessor.scope });
    const [inZero, inOne] = [await orphanOf(zero), await orphanOf(one)];
    const swept = await sweepOrphanedState({
      store: h.store,
      backend: h.backend,
      olderThanMs: 0,
      scope: zero.scope,
    });
    expect(swept.orphans).toEqual([inZero]);
    expect(await storedRefs(h.backend)).toEqual([inOne]);
    const all = await sweepOrphanedState({
      store: h.store,
      backend: h.backend,
      olderThanMs: 0,
      scope: one.scope,
      allMapIndices: true,
    });
    expect(all.orphans).toEqual([inOne]);
  });

  it("does nothing without a backend, and refuses a negative grace period", async () => {
    expect(await sweepOrphanedState({ store: h.store, conf: config() })).toEqual({
      scanned: 0,
      referenced: 0,
      young: 0,
      orphans: [],
      dryRun: false,
    });
    await expect(sweepOrphanedState({ store: h.store, backend: h.backend, olderThanMs: -1 })).rejects.toThrow(
      ConfigError,
    );
  });
});
