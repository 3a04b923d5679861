// The promises of the state integrity rework, with a real memory backend and a real SQLite store,
// faults injected where they break things: atomic set, no reference to nothing, one identity per
// asset, refs are never values.
import { fileURLToPath } from "node:url";
import { MemoryStateBackend } from "@flowstate/backend-memory";
import {
  AssetNotFoundError,
  InvalidStateValueError,
  type StateBackend,
  StateBackendMismatchError,
  type StateClient,
  StateObjectMissingError,
  StateStoreError,
  TaskInstanceNotFoundError,
  TaskScope,
} from "@flowstate/shared-state";
import { afterEach, describe, expect, it } from "vitest";
import {
  AssetStateAccessor,
  getWorkerStateBackend,
  resetWorkerStateBackendCache,
  sweepOrphanedState,
  TaskStateAccessor,
} from "../src/index.js";
import {
  config,
  type Harness,
  recordWrites,
  rowRefs,
  storedRefs,
  useHarness,
  useOrphanWarnings,
  withFaults,
} from "./helpers.js";

const MEMORY = "@flowstate/backend-memory.MemoryStateBackend";
const TASK = { dagId: "dag", runId: "run", taskId: "task" } as const;
const ORDERS = { name: "my_asset", uri: "s3://bucket/data" } as const;
const SDK_DIR = fileURLToPath(new URL("..", import.meta.url));

interface AccessorOptions {
  tiId?: string;
  mapIndex?: number;
  client?: StateClient;
  /** `null`: no backend at all (nor a configured one). */
  backend?: StateBackend | null;
  backendClassPath?: string;
}

/** A task state accessor over the harness: its memory backend recorded as {@link MEMORY} unless told otherwise. */
async function taskAccessor(h: Harness, options: AccessorOptions = {}): Promise<TaskStateAccessor> {
  const mapIndex = options.mapIndex ?? -1;
  const tiId = options.tiId ?? (await h.store.createTaskInstance({ ...TASK, mapIndex })).id;
  return new TaskStateAccessor({
    tiId,
    scope: new TaskScope({ ...TASK, mapIndex }),
    client: options.client ?? h.client,
    conf: config(),
    backend: options.backend === null ? undefined : (options.backend ?? h.backend),
    backendClassPath: options.backendClassPath ?? MEMORY,
  });
}

/** An asset state accessor by name or by uri over the harness. */
function assetAccessor(h: Harness, by: { name: string } | { uri: string }, options: AccessorOptions = {}) {
  return new AssetStateAccessor({
    ...by,
    client: options.client ?? h.client,
    conf: config(),
    backend: options.backend === null ? undefined : (options.backend ?? h.backend),
    backendClassPath: options.backendClassPath ?? MEMORY,
  } as ConstructorParameters<typeof AssetStateAccessor>[0]);
}

/** Rows and objects agree: every row's object exists, and every object is named by a row. */
async function expectRowsAndObjectsAgree(h: Harness, backend: StateBackend = h.backend): Promise<void> {
  expect(await storedRefs(backend)).toEqual(await rowRefs(h.store));
}

describe("atomic set", () => {
  const h = useHarness();
  const warnings = useOrphanWarnings();

  it("a set refused before any write leaves the previous value and exactly one version", async () => {
    const taskState = await taskAccessor(h);
    await taskState.set("k", "old");
    const set = taskState.set("k", "new", { retention: { days: 1e12 } });
    await expect(set).rejects.toBeInstanceOf(InvalidStateValueError);
    expect(await taskState.get("k")).toBe("old");
    expect(await storedRefs(h.backend, { scope: taskState.scope })).toHaveLength(1);
    await expectRowsAndObjectsAgree(h);
  });

  it("when the store fails to record, set throws, the previous value stays and the new version is deleted again", async () => {
    const taskState = await taskAccessor(h);
    await taskState.set("k", "old");
    const written = recordWrites(h.backend);
    const broken = await taskAccessor(h, {
      client: withFaults(h.client, {
        setTaskState: async () => {
          throw new StateStoreError("injected: the store went away");
        },
      }),
    });
    await expect(broken.set("k", "new")).rejects.toThrow("injected: the store went away");
    expect(written).toHaveLength(1); // the new version was written…
    expect(await storedRefs(h.backend)).not.toContain(written[0]); // …and deleted again
    expect(await taskState.get("k")).toBe("old");
    await expectRowsAndObjectsAgree(h);
    expect(warnings).toEqual([]);
  });

  it("when the store recorded the new version but its answer was lost, the new version is kept: the row names it", async () => {
    const taskState = await taskAccessor(h);
    await taskState.set("k", "old");
    const [oldRef] = await rowRefs(h.store);
    const lostAnswer = await taskAccessor(h, {
      client: withFaults(h.client, {
        setTaskState: async (real, ...args) => {
          await real.setTaskState(...args);
          throw new StateStoreError("injected: the answer was lost");
        },
      }),
    });
    await expect(lostAnswer.set("k", "new")).rejects.toThrow("injected: the answer was lost");
    expect(await taskState.get("k")).toBe("new");
    const named = await rowRefs(h.store);
    expect(await storedRefs(h.backend)).toEqual([...named, oldRef].sort()); // the old one: an orphan
    const swept = await sweepOrphanedState({ store: h.store, backend: h.backend, olderThanMs: 0 });
    expect(swept.orphans).toEqual([oldRef]);
    await expectRowsAndObjectsAgree(h);
  });

  it("when the store cannot even say whether it recorded, the new version is kept and reported", async () => {
    let broken = false;
    const fail = async (): Promise<never> => {
      throw new StateStoreError("injected: the store is unreachable");
    };
    const client = withFaults(h.client, {
      setTaskState: (real, ...args) => (broken ? fail() : real.setTaskState(...args)),
      getTaskState: (real, ...args) => (broken ? fail() : real.getTaskState(...args)),
    });
    const taskState = await taskAccessor(h, { client });
    await taskState.set("k", "old");
    const written = recordWrites(h.backend);
    broken = true;
    await expect(taskState.set("k", "new")).rejects.toThrow("injected: the store is unreachable");
    broken = false;
    expect(warnings).toEqual([expect.stringMatching(/could not say whether it recorded the new version/)]);
    expect(await taskState.get("k")).toBe("old");
    expect(await storedRefs(h.backend)).toContain(written[0]);
    const swept = await sweepOrphanedState({ store: h.store, backend: h.backend, olderThanMs: 0 });
    expect(swept.orphans).toEqual(written);
    await expectRowsAndObjectsAgree(h);
  });

  it("an unknown task instance fails before any object is written", async () => {
    const taskState = await taskAccessor(h, { tiId: "ti-missing" });
    await expect(taskState.set("k", "v")).rejects.toBeInstanceOf(TaskInstanceNotFoundError);
    expect(await storedRefs(h.backend)).toEqual([]);
    expect(h.calls).toEqual(["getTaskState"]);
  });

  it("an unknown asset fails before any object is written", async () => {
    const assetState = assetAccessor(h, { name: "ghost" });
    await expect(assetState.set("k", "v")).rejects.toBeInstanceOf(AssetNotFoundError);
    expect(await storedRefs(h.backend)).toEqual([]);
    expect(h.calls).not.toContain("setAssetState");
  });

  it("deletes the replaced version after the row switched to the new one", async () => {
    const taskState = await taskAccessor(h);
    const written = recordWrites(h.backend);
    await taskState.set("k", "v1");
    await taskState.set("k", "v2");
    expect(written).toHaveLength(2);
    expect(written[0]).not.toBe(written[1]);
    expect(await storedRefs(h.backend)).toEqual([written[1]]);
    expect(await rowRefs(h.store)).toEqual([written[1]]);
    expect(await taskState.get("k")).toBe("v2");
  });

  it("a replaced version that cannot be deleted is an orphan (warned), the set still succeeded", async () => {
    const taskState = await taskAccessor(h);
    await taskState.set("k", "v1");
    const [v1] = await rowRefs(h.store);
    const deleteStateRefs = h.backend.deleteStateRefs;
    h.backend.deleteStateRefs = async () => {
      throw new Error("injected: delete refused");
    };
    await taskState.set("k", "v2");
    h.backend.deleteStateRefs = deleteStateRefs;
    expect(warnings).toEqual([expect.stringMatching(/set of task state key 'k'.*injected: delete refused/)]);
    expect(await taskState.get("k")).toBe("v2");
    expect(await storedRefs(h.backend)).toContain(v1);
    await sweepOrphanedState({ store: h.store, backend: h.backend, olderThanMs: 0 });
    await expectRowsAndObjectsAgree(h);
  });
});

describe("no reference to nothing", () => {
  const h = useHarness();

  it("after set, set, delete, clear and clear({ allMapIndices }) the backend holds exactly the versions rows name", async () => {
    const zero = await taskAccessor(h, { mapIndex: 0 });
    const one = await taskAccessor(h, { mapIndex: 1 });
    await h.store.registerAsset(ORDERS);
    const asset = assetAccessor(h, { name: ORDERS.name });
    const steps: (() => Promise<void>)[] = [
      () => zero.set("a", "1"),
      () => zero.set("a", "2"),
      () => zero.set("b", "1"),
      () => one.set("a", "1"),
      () => asset.set("wm", "w1"),
      () => asset.set("wm", "w2"),
      () => zero.delete("a"),
      () => zero.delete("a"),
      () => zero.clear(),
      () => zero.set("a", "3"),
      () => asset.delete("wm"),
      () => asset.set("wm", "w3"),
      () => zero.clear({ allMapIndices: true }),
      () => asset.clear(),
    ];
    for (const step of steps) {
      await step();
      await expectRowsAndObjectsAgree(h);
    }
    expect(await storedRefs(h.backend)).toEqual([]);
  });

  it("a get while a concurrent set replaces the version retries and returns the new value", async () => {
    const reader = await taskAccessor(h);
    await reader.set("k", "v1");
    const writer = await taskAccessor(h);
    const deserialize = h.backend.deserializeTaskStateFromRef.bind(h.backend);
    const asked: string[] = [];
    h.backend.deserializeTaskStateFromRef = async (stored, args) => {
      asked.push(stored);
      // Between reading the row and reading the object, another worker sets the key: the
      // version the row named is deleted after its commit.
      if (asked.length === 1) await writer.set("k", "v2");
      return deserialize(stored, args);
    };
    expect(await reader.get("k")).toBe("v2");
    expect(asked).toHaveLength(2);
    expect(asked[1]).not.toBe(asked[0]);
  });

  it("a get whose version is gone while the row still names it is StateObjectMissingError, not a loop", async () => {
    const taskState = await taskAccessor(h);
    await taskState.set("k", "v1");
    await h.backend.deleteStateRefs((await rowRefs(h.store)).map((ref) => ({ ref })));
    await expect(taskState.get("k")).rejects.toBeInstanceOf(StateObjectMissingError);
  });
});

describe("one identity per asset", () => {
  const h = useHarness();

  it("state set by name reads back by uri through a backend, and the other way round", async () => {
    await h.store.registerAsset(ORDERS);
    const byName = assetAccessor(h, { name: ORDERS.name });
    const byUri = assetAccessor(h, { uri: ORDERS.uri });
    await byName.set("watermark", "2026-05-01");
    expect(await byUri.get("watermark")).toBe("2026-05-01");
    await byUri.set("watermark", "2026-05-02");
    expect(await byName.get("watermark")).toBe("2026-05-02");
    await expectRowsAndObjectsAgree(h); // the version written by name was deleted by the set by uri
    await byUri.delete("watermark");
    expect(await byName.get("watermark")).toBeUndefined();
    expect(await storedRefs(h.backend)).toEqual([]);
  });
});

describe("refs are never values", () => {
  const h = useHarness();
  afterEach(() => resetWorkerStateBackendCache());

  it("a reference read where no backend is configured is StateBackendMismatchError naming who wrote it", async () => {
    const writer = await taskAccessor(h);
    await writer.set("k", "the value");
    const reader = await taskAccessor(h, { backend: null });
    const error = await reader.get("k").catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StateBackendMismatchError);
    expect(error).toMatchObject({ writtenBy: MEMORY, configured: undefined });
    expect((error as Error).message).toContain(`'${MEMORY}'`);
    expect((error as Error).message).toContain("no [workers] state_backend is configured");
  });

  it("an asset reference read where no backend is configured is StateBackendMismatchError too", async () => {
    await h.store.registerAsset(ORDERS);
    await assetAccessor(h, { name: ORDERS.name }).set("wm", "w1");
    const error = await assetAccessor(h, { uri: ORDERS.uri }, { backend: null })
      .get("wm")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateBackendMismatchError);
    expect(error).toMatchObject({ writtenBy: MEMORY });
  });

  it("a reference read through another backend class, whose check refuses it, is StateBackendMismatchError", async () => {
    const writer = await taskAccessor(h);
    await writer.set("k", "the value");
    const other = new MemoryStateBackend({ namespace: `other-${Math.random().toString(36).slice(2)}` });
    const reader = await taskAccessor(h, { backend: other, backendClassPath: "my-plugin.OtherBackend" });
    const error = await reader.get("k").catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StateBackendMismatchError);
    expect(error).toMatchObject({ writtenBy: MEMORY, configured: "my-plugin.OtherBackend" });
    expect((error as Error).message).toContain(MEMORY);
    expect((error as Error).cause).toMatchObject({ code: "FLOWSTATE_BAD_REFERENCE" });
  });

  it("a reference read through the same backend class configured with another namespace is StateBackendMismatchError", async () => {
    const ini = (namespace: string) =>
      `[workers]\nstate_backend = ${MEMORY}\nstate_backend_kwargs = {"namespace": "${namespace}"}\n`;
    const suffix = Math.random().toString(36).slice(2);
    const ti = await h.store.createTaskInstance(TASK);
    const scope = new TaskScope(TASK);
    const accessor = (namespace: string) =>
      new TaskStateAccessor({ tiId: ti.id, scope, client: h.client, conf: config(ini(namespace), SDK_DIR) });
    await accessor(`a-${suffix}`).set("k", "the value");
    expect(await accessor(`a-${suffix}`).get("k")).toBe("the value");
    const error = await accessor(`b-${suffix}`)
      .get("k")
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StateBackendMismatchError);
    expect(error).toMatchObject({ writtenBy: MEMORY, configured: MEMORY });
    expect((error as Error).message).toContain("state_backend_kwargs");
  });

  it("rows record the configured class path, and the configured backend holds their objects", async () => {
    const conf = config(
      `[workers]\nstate_backend = ${MEMORY}\nstate_backend_kwargs = {"namespace": "rec-${Math.random()}"}\n`,
      SDK_DIR,
    );
    const ti = await h.store.createTaskInstance(TASK);
    const taskState = new TaskStateAccessor({
      tiId: ti.id,
      scope: new TaskScope(TASK),
      client: h.client,
      conf,
    });
    await taskState.set("k", "v");
    expect(await h.store.listTaskState()).toMatchObject([{ key: "k", backend: MEMORY }]);
    const backend = await getWorkerStateBackend(conf);
    await expectRowsAndObjectsAgree(h, backend as StateBackend);
  });

  it("a row written without a backend is still read as a value when a backend is configured", async () => {
    const plain = await taskAccessor(h, { backend: null });
    await plain.set("k", "a plain value");
    expect(await h.store.listTaskState()).toMatchObject([{ value: "a plain value", backend: null }]);
    const withBackend = await taskAccessor(h);
    expect(await withBackend.get("k")).toBe("a plain value");
    await withBackend.set("k", "now in the backend");
    expect(await plain.get("k").catch((e: unknown) => e)).toBeInstanceOf(StateBackendMismatchError);
    expect(await withBackend.get("k")).toBe("now in the backend");
    await expectRowsAndObjectsAgree(h);
  });
});
