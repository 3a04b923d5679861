import { StateBackendError, TaskScope } from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { runTask, sweepOrphanedState, type TaskContext } from "../src/index.js";
import { config, rowRefs, storedRefs, useHarness, useOrphanWarnings } from "./helpers.js";

const VERSION = "[0-9a-z]{9}-[0-9a-f]{16}";

const WATCHED = { name: "my_asset", uri: "s3://bucket/data" };

describe("runTask", () => {
  const h = useHarness();
  const newTi = (tryNumber = 1) =>
    h.store.createTaskInstance({ dagId: "dag", runId: "run", taskId: "t", tryNumber });
  const run = async (execute: (context: TaskContext) => unknown, ini = "", inlets = [WATCHED]) =>
    runTask({
      task: { inlets, execute },
      ti: await newTi(),
      client: h.client,
      conf: config(ini),
      backend: h.backend,
    });

  it("gives the task a taskState scoped to dag/run/task/map index and an assetState for its inlets", async () => {
    let seen: TaskContext | undefined;
    const result = await run((context) => {
      seen = context;
      return "done";
    });
    expect(result).toEqual({ state: "success", returnValue: "done" });
    expect(seen?.taskState.scope).toMatchObject({ dagId: "dag", runId: "run", taskId: "t", mapIndex: -1 });
    expect(seen?.assetState?.get("my_asset").scope.name).toBe("my_asset");
  });

  it("has no assetState when the task has no inlets", async () => {
    let seen: TaskContext | undefined;
    await run(
      (context) => {
        seen = context;
      },
      "",
      [],
    );
    expect(seen?.assetState).toBeUndefined();
  });

  it("asset state set() inside a task records the backend's reference, not the value", async () => {
    await h.store.registerAsset(WATCHED);
    await run(({ assetState }) => assetState?.get(WATCHED).set("watermark", "2026-05-01"));
    const [row] = await h.store.listAssetState({ name: "my_asset" });
    expect(row?.value).toMatch(new RegExp(`^memory://.*/asset/name/my_asset/watermark/${VERSION}$`));
  });

  it("task state set() inside a task records the backend's reference, not the value", async () => {
    await run(({ taskState }) => taskState.set("job_id", "app_001"));
    const [row] = await h.store.listTaskState({ dagId: "dag" });
    expect(row?.value).toMatch(new RegExp(`^memory://.*/task/dag/run/t/-1/job_id/${VERSION}$`));
  });

  it("a failed try is reported and keeps its state for the next try", async () => {
    const first = await run(async ({ taskState }) => {
      await taskState.set("job_id", "app_001");
      throw new Error("worker lost");
    });
    expect(first.state).toBe("failed");
    expect(h.calls.at(-1)).toBe("failTask");
    const second = await run(({ taskState }) => taskState.get("job_id"));
    expect(second).toEqual({ state: "success", returnValue: "app_001" });
  });

  it("without clear_on_success, state outlives a successful task", async () => {
    await run(({ taskState }) => taskState.set("job_id", "app_001"));
    expect(await h.store.listTaskState({ dagId: "dag" })).toHaveLength(1);
    const scope = new TaskScope({ dagId: "dag", runId: "run", taskId: "t" });
    expect(await h.backend.get(scope, "job_id")).toBe("app_001");
  });
});

describe("runTask with clear_on_success", () => {
  const h = useHarness({ clearOnSuccess: true });
  const warnings = useOrphanWarnings();
  const ini = "[state_store]\nclear_on_success = True\n";

  it("the store drops the rows when it marks the try succeeded, then the worker deletes their objects", async () => {
    const ti = await h.store.createTaskInstance({ dagId: "dag", runId: "run", taskId: "t" });
    let scope: TaskContext["taskState"]["scope"] | undefined;
    const result = await runTask({
      task: {
        async execute({ taskState }) {
          scope = taskState.scope;
          await taskState.set("job_id", "app_001");
        },
      },
      ti,
      client: h.client,
      conf: config(ini),
      backend: h.backend,
    });
    expect(result.state).toBe("success");
    expect(h.calls).toEqual(["getTaskState", "setTaskState", "succeedTask"]);
    expect(h.calls).not.toContain("clearTaskState");
    expect(await h.backend.get(scope as NonNullable<typeof scope>, "job_id")).toBeUndefined();
    expect(await storedRefs(h.backend)).toEqual([]);
    expect(await h.store.listTaskState({ dagId: "dag" })).toEqual([]);
    expect((await h.store.getTaskInstance(ti.id))?.state).toBe("success");
  });

  it("a backend that cannot delete leaves orphans (warned, swept later), never a row without its object", async () => {
    const ti = await h.store.createTaskInstance({ dagId: "dag", runId: "run", taskId: "t" });
    const deleteStateRefs = h.backend.deleteStateRefs;
    h.backend.deleteStateRefs = async () => {
      throw new StateBackendError("injected outage", { backend: "memory", operation: "delete" });
    };
    const result = await runTask({
      task: { execute: ({ taskState }) => taskState.set("job_id", "app_001") },
      ti,
      client: h.client,
      conf: config(ini),
      backend: h.backend,
    });
    expect(result.state).toBe("success");
    expect(h.calls).toEqual(["getTaskState", "setTaskState", "succeedTask"]);
    expect(await h.store.listTaskState({ dagId: "dag" })).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/1 object\(s\).*clear_on_success.*injected outage/)]);
    const [orphan] = await storedRefs(h.backend);
    expect(orphan).toBeDefined();
    h.backend.deleteStateRefs = deleteStateRefs; // the outage is over
    const swept = await sweepOrphanedState({ store: h.store, backend: h.backend, olderThanMs: 0 });
    expect(swept.orphans).toEqual([orphan]);
    expect(await storedRefs(h.backend)).toEqual([]);
  });
});

describe("runTask: the store's clear_on_success decides, not the worker's config", () => {
  /** Runs a task that sets a key, with the store's setting and the worker's config at odds. */
  async function runAtOdds(h: ReturnType<typeof useHarness>, workerSays: "True" | "False") {
    const ti = await h.store.createTaskInstance({ dagId: "dag", runId: "run", taskId: "t" });
    const result = await runTask({
      task: { execute: ({ taskState }) => taskState.set("job_id", "app_001") },
      ti,
      client: h.client,
      conf: config(`[state_store]\nclear_on_success = ${workerSays}\n`),
      backend: h.backend,
    });
    expect(result.state).toBe("success");
    // Rows and objects agree: no row without its object, no object without its row.
    expect(await storedRefs(h.backend)).toEqual(await rowRefs(h.store));
  }

  describe("store on, worker config off", () => {
    const h = useHarness({ clearOnSuccess: true });
    it("clears rows and objects", async () => {
      await runAtOdds(h, "False");
      expect(await h.store.listTaskState()).toEqual([]);
      expect(await storedRefs(h.backend)).toEqual([]);
    });
  });

  describe("store off, worker config on", () => {
    const h = useHarness({ clearOnSuccess: false });
    it("keeps rows and objects", async () => {
      await runAtOdds(h, "True");
      expect(await h.store.listTaskState()).toHaveLength(1);
      expect(await storedRefs(h.backend)).toHaveLength(1);
      const scope = new TaskScope({ dagId: "dag", runId: "run", taskId: "t" });
      expect(await h.backend.get(scope, "job_id")).toBe("app_001");
    });
  });
});
