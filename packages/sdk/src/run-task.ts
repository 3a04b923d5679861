/**
 * Runs one try of a task: builds its context (task state scoped to dag/run/task/map index,
 * asset state when it has inlets), runs it, and reports the outcome to the metadata store.
 * On success, the store applies `[state_store] clear_on_success` itself (the one source of truth
 * for the setting): it removes the task's state rows in the same transaction that marks the try
 * succeeded and answers with them, and the worker then deletes the objects they named — rows
 * first, objects second, as for every delete.
 */
import { type ConfigReader, type StateBackend, type StateClient, TaskScope } from "@flowstate/shared-state";
import { type AssetInlet, AssetStateAccessors, TaskStateAccessor } from "./accessors.js";

/** The task instance a try runs as. */
export interface TaskInstanceInfo {
  /** This try's task instance id (the store's id). */
  id: string;
  dagId: string;
  runId: string;
  taskId: string;
  /** @default -1 (unmapped) */
  mapIndex?: number;
  /** @default 1 */
  tryNumber?: number;
}

/** What a task's `execute` receives. */
export interface TaskContext {
  ti: Readonly<TaskInstanceInfo>;
  /** Task state: survives retries of this task instance. */
  taskState: TaskStateAccessor;
  /** Asset state of the task's inlets; only present when the task has inlets. */
  assetState?: AssetStateAccessors;
  conf: ConfigReader;
}

/** A unit of work. */
export interface Task {
  /** Assets whose state the task reads or writes. */
  inlets?: readonly AssetInlet[];
  execute(context: TaskContext): unknown;
}

/** Arguments of {@link runTask}. */
export interface RunTaskOptions {
  task: Task;
  ti: TaskInstanceInfo;
  client: StateClient;
  conf: ConfigReader;
  /** A backend to use instead of the configured one (embedding, tests). */
  backend?: StateBackend | undefined;
  /** The name rows written through `backend` record. @default its class name */
  backendClassPath?: string | undefined;
}

/** How a try ended. A failed try's state is kept for the next try. */
export type TaskRunResult = { state: "success"; returnValue: unknown } | { state: "failed"; error: unknown };

/**
 * Runs `task` once as `ti`. Never throws for a task's own failure: it reports it to the store
 * and returns `{ state: "failed", error }`. Errors reaching the store itself do throw.
 */
export async function runTask(options: RunTaskOptions): Promise<TaskRunResult> {
  const context = buildContext(options);
  let returnValue: unknown;
  try {
    returnValue = await options.task.execute(context);
  } catch (error) {
    await options.client.failTask(options.ti.id);
    return { state: "failed", error };
  }
  const { clearedState } = await options.client.succeedTask(options.ti.id);
  await context.taskState.deleteObjectsOf(clearedState, "clear_on_success");
  return { state: "success", returnValue };
}

function buildContext({ task, ti, client, conf, backend, backendClassPath }: RunTaskOptions): TaskContext {
  const deps = { client, conf, backend, backendClassPath };
  const scope = new TaskScope({
    dagId: ti.dagId,
    runId: ti.runId,
    taskId: ti.taskId,
    mapIndex: ti.mapIndex ?? -1,
  });
  const context: TaskContext = {
    ti: Object.freeze({ ...ti }),
    taskState: new TaskStateAccessor({ ...deps, tiId: ti.id, scope }),
    conf,
  };
  if (task.inlets?.length) context.assetState = new AssetStateAccessors(task.inlets, deps);
  return context;
}
