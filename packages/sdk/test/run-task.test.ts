import { StateBackendError, TaskScope } from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { runTask, type TaskContext } from "../src/index.js";
import { config, useHarness } from "./helpers.js";

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
    expect(row?.value).toMatch(/^memory:\/\/.*\/asset\/name\/my_asset\/watermark$/);
  });

  it("task state set() inside a task records the backend's reference, not the value", async () => {
    await run(({ taskState }) => taskState.set("job_id", "app_001"));
    const [row] = await h.store.listTaskState({ dagId: "dag" });
    expect(row?.value).toMatch(/^memory:\/\/.*\/task\/dag\/run\/t\/-1\/job_id$/);
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
  const ini = "[state_store]\nclear_on_success = True\n";

  it("clears the backend directly, never sends clearTaskState, and the store drops its rows on success", async () => {
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
    expect(h.calls).toEqual(["setTaskState", "succeedTask"]);
    expect(h.calls).not.toContain("clearTaskState");
    expect(await h.backend.get(scope as NonNullable<typeof scope>, "job_id")).toBeUndefined();
    expect(await h.store.listTaskState({ dagId: "dag" })).toEqual([]);
    expect((await h.store.getTaskInstance(ti.id))?.state).toBe("success");
  });

  it("a backend that cannot clear fails the try, and the state is kept for the retry", async () => {
    const ti = await h.store.createTaskInstance({ dagId: "dag", runId: "run", taskId: "t" });
    h.backend.clear = async () => {
      throw new StateBackendError("injected outage", { backend: "memory", operation: "clear" });
    };
    const result = await runTask({
      task: { execute: ({ taskState }) => taskState.set("job_id", "app_001") },
      ti,
      client: h.client,
      conf: config(ini),
      backend: h.backend,
    });
    expect(result).toMatchObject({
      state: "failed",
      error: { message: expect.stringMatching(/injected outage/) },
    });
    expect(h.calls).toEqual(["setTaskState", "failTask"]);
    expect(await h.store.listTaskState({ dagId: "dag" })).toHaveLength(1);
  });
});
