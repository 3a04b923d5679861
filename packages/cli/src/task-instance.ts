/**
 * Finding the task instance a `state` or `token` command names: by id (`--ti`), or by its task
 * (`--dag`, `--run`, `--task`, `--map-index`), whose latest try is taken (every try shares the
 * task's state).
 */
import { TaskInstanceNotFoundError } from "@flowstate/shared-state";
import type { StateStore, TaskInstanceRecord } from "@flowstate/store";
import { type Command, Option } from "commander";
import { parseInteger } from "./duration.js";

/** The options that name a task instance. */
export interface TaskInstanceOptions {
  ti?: string;
  dag?: string;
  run?: string;
  task?: string;
  mapIndex?: number;
}

/** Adds `--ti`, `--dag`, `--run`, `--task`, `--map-index` to `command`. */
export function addTaskInstanceOptions(command: Command): Command {
  return command
    .option("--dag <dag_id>", "the DAG id")
    .option("--run <run_id>", "the DAG run id")
    .option("--task <task_id>", "the task id")
    .addOption(
      new Option("--map-index <n>", "the map index of a mapped task (-1: unmapped)")
        .argParser(parseInteger("--map-index", -1))
        .default(-1, "-1"),
    )
    .option("--ti <id>", "the task instance id, instead of --dag/--run/--task/--map-index");
}

/** The task instance the options name, or a usage error (exit 2) when they name none. */
export async function findTaskInstance(
  store: StateStore,
  options: TaskInstanceOptions,
  command: Command,
): Promise<TaskInstanceRecord> {
  if (options.ti !== undefined) {
    const found = await store.getTaskInstance(options.ti);
    if (found) return found;
    throw new TaskInstanceNotFoundError(
      `No task instance with id '${options.ti}' in the metadata store (${store.location}). List the task instances of a DAG with: flowstate state list --dag <dag_id>`,
    );
  }
  const { dag, run, task } = options;
  if (dag === undefined || run === undefined || task === undefined) {
    return command.error(
      "error: name the task instance with --dag, --run and --task (and --map-index for a mapped task), or with --ti <id>.",
      { exitCode: 2, code: "flowstate.missingTaskInstance" },
    );
  }
  const mapIndex = options.mapIndex ?? -1;
  const tries = await store.listTaskInstances({ dagId: dag, runId: run, taskId: task, mapIndex });
  const latest = tries.at(-1);
  if (latest) return latest;
  throw new TaskInstanceNotFoundError(await notFoundMessage(store, { dag, run, task, mapIndex }));
}

async function notFoundMessage(
  store: StateStore,
  wanted: { dag: string; run: string; task: string; mapIndex: number },
): Promise<string> {
  const { dag, run, task, mapIndex } = wanted;
  const head = `No task instance of dag '${dag}', run '${run}', task '${task}', map index ${mapIndex} in the metadata store (${store.location}).`;
  const siblings = await store.listTaskInstances({ dagId: dag, runId: run, taskId: task });
  if (siblings.length > 0) {
    const indices = [...new Set(siblings.map((ti) => ti.mapIndex))].join(", ");
    return `${head} The task has map index(es) ${indices}: pass one with --map-index.`;
  }
  const ofDag = await store.listTaskInstances({ dagId: dag });
  if (ofDag.length > 0) {
    return `${head} List the task instances of the DAG with: flowstate state list --dag ${dag}`;
  }
  return `${head} The store has no task instance of dag '${dag}'; list every task instance with: flowstate state list`;
}
