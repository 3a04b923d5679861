import { NEVER_EXPIRE, type Retention, TaskStateAccessor } from "@flowstate/sdk";
import { TaskScope } from "@flowstate/shared-state";
import type { StateStore, TaskInstanceRecord, TaskStateRow } from "@flowstate/store";
import { type Command, Option } from "commander";
import { parseInteger } from "../duration.js";
import { table } from "../format.js";
import { type CliIo, writeJson, writeLine } from "../io.js";
import { type Session, withSession } from "../session.js";
import {
  finishRemoval,
  printKeys,
  printValue,
  readValueArgument,
  type ScopeView,
  shellWord,
} from "../state-view.js";
import { addTaskInstanceOptions, findTaskInstance, type TaskInstanceOptions } from "../task-instance.js";

interface StateOptions extends TaskInstanceOptions {
  json?: boolean;
  raw?: boolean;
}

/** Registers `flowstate state get|set|delete|clear|list`: task state, read and written through the worker backend. */
export function registerStateCommand(program: Command, io: CliIo): void {
  const state = program
    .command("state")
    .description(
      "Look at and change the task state of one task instance, through the configured worker backend (values, not references).",
    );
  registerGet(state, io);
  registerSet(state, io);
  registerDelete(state, io);
  registerClear(state, io);
  registerList(state, io);
}

/** The task instance the options name, its accessor, and how to show it. */
interface TaskView extends ScopeView {
  ti: TaskInstanceRecord;
  accessor: TaskStateAccessor;
}

async function taskView(session: Session, options: StateOptions, command: Command): Promise<TaskView> {
  const ti = await findTaskInstance(session.store, options, command);
  const scope = new TaskScope(ti);
  const accessor = new TaskStateAccessor({ client: session.client, conf: session.conf, tiId: ti.id, scope });
  const mapped = ti.mapIndex >= 0;
  const where = `dag '${ti.dagId}', run '${ti.runId}', task '${ti.taskId}'${mapped ? `, map index ${ti.mapIndex}` : ""}`;
  const listCommand = `flowstate state list --dag ${shellWord(ti.dagId)} --run ${shellWord(ti.runId)} --task ${shellWord(ti.taskId)}${mapped ? ` --map-index ${ti.mapIndex}` : ""}`;
  return {
    ti,
    accessor,
    where,
    listCommand,
    read: (key) => accessor.get(key),
    rows: (key) => storedRows(session.store, ti, key),
    deleteObjects: (removed, what) =>
      accessor.deleteObjectsOf(
        removed.map((row) => ({ ...row, mapIndex: row.mapIndex ?? ti.mapIndex })),
        what,
      ),
    subject: { taskInstance: ti },
  };
}

/** The task's stored rows (expired ones included), or just `key`'s. */
async function storedRows(store: StateStore, ti: TaskInstanceRecord, key?: string): Promise<TaskStateRow[]> {
  const { dagId, runId, taskId, mapIndex } = ti;
  const rows = await store.listTaskState({ dagId, runId, taskId, mapIndex });
  return key === undefined ? rows : rows.filter((row) => row.key === key);
}

function registerGet(state: Command, io: CliIo): void {
  addTaskInstanceOptions(state.command("get").argument("<key>", "the state key"))
    .description("Print the value of KEY exactly as the task would read it (exit 1 when it is not set).")
    .option("--raw", "show the stored row (reference, backend class path, expiry) instead of the value")
    .option("--json", "print JSON")
    .action(async (key: string, options: StateOptions, command: Command) => {
      await withSession(command, io, async (session) =>
        printValue(io, await taskView(session, options, command), key, options),
      );
    });
}

interface SetOptions extends TaskInstanceOptions {
  retentionDays?: number;
  neverExpire?: boolean;
}

function registerSet(state: Command, io: CliIo): void {
  addTaskInstanceOptions(
    state
      .command("set")
      .argument("<key>", "the state key")
      .argument("<value>", "the value; - reads it from standard input"),
  )
    .description(
      "Set KEY to VALUE, as the task would: the value goes to the worker backend, the store records its reference.",
    )
    .addOption(
      new Option(
        "--retention-days <n>",
        "keep the value this many days (default: [state_store] default_retention_days)",
      )
        .argParser(parseInteger("--retention-days", 1))
        .conflicts("neverExpire"),
    )
    .option("--never-expire", "keep the value until it is deleted")
    .action(async (key: string, value: string, options: SetOptions, command: Command) => {
      const text = await readValueArgument(io, value);
      await withSession(command, io, async (session) => {
        const view = await taskView(session, options, command);
        await view.accessor.set(key, text, { retention: retentionOf(options) });
        const [row] = await storedRows(session.store, view.ti, key);
        const expiry = row?.expiresAt ? `expires ${row.expiresAt.toISOString()}` : "never expires";
        writeLine(
          io.stdout,
          `set '${key}' for ${view.where} (${Buffer.byteLength(text, "utf8")} bytes, ${expiry})`,
        );
      });
    });
}

function retentionOf(options: SetOptions): Retention | undefined {
  if (options.neverExpire) return NEVER_EXPIRE;
  return options.retentionDays === undefined ? undefined : { days: options.retentionDays };
}

function registerDelete(state: Command, io: CliIo): void {
  addTaskInstanceOptions(state.command("delete").argument("<key>", "the state key"))
    .description(
      "Delete KEY: the row, then the object it named in the worker backend. Deleting a key that is not set does nothing.",
    )
    .option("--json", "print JSON")
    .action(async (key: string, options: StateOptions, command: Command) => {
      await withSession(command, io, async (session) => {
        const view = await taskView(session, options, command);
        const removed = await session.client.deleteTaskState(view.ti.id, key);
        const rows = removed ? [{ ...removed, key, mapIndex: view.ti.mapIndex }] : [];
        const what = {
          operation: `delete of '${key}'`,
          nothing: `'${key}' was not set`,
          json: options.json === true,
        };
        await finishRemoval(io, view, rows, what);
      });
    });
}

interface ClearOptions extends StateOptions {
  allMapIndices?: boolean;
}

function registerClear(state: Command, io: CliIo): void {
  addTaskInstanceOptions(state.command("clear"))
    .description(
      "Delete every key of the task instance (rows, then their objects) and print what was removed.",
    )
    .option("--all-map-indices", "clear every map index of the task, not just this one")
    .option("--json", "print JSON")
    .action(async (options: ClearOptions, command: Command) => {
      await withSession(command, io, async (session) => {
        const view = await taskView(session, options, command);
        // Rows first (the store answers with them, to print), then the objects they named: as the accessor's clear.
        const rows = await session.client.clearTaskState(view.ti.id, {
          allMapIndices: options.allMapIndices === true,
        });
        const where = options.allMapIndices ? { ...view, where: `${view.where} (every map index)` } : view;
        await finishRemoval(io, where, rows, {
          operation: "clear",
          nothing: "nothing to clear",
          json: options.json === true,
        });
      });
    });
}

function registerList(state: Command, io: CliIo): void {
  addTaskInstanceOptions(state.command("list"))
    .description(
      "List the keys of a task instance with size and expiry; with only some of --dag/--run/--task, list the task instances that match.",
    )
    .option("--raw", "show each row's reference and backend class path instead of resolving values")
    .option("--json", "print JSON")
    .action(async (options: StateOptions, command: Command) => {
      await withSession(command, io, async (session) => {
        const named = options.ti !== undefined || (options.dag && options.run && options.task);
        if (!named) return listTaskInstances(io, session.store, options);
        await printKeys(io, await taskView(session, options, command), options);
      });
    });
}

/** `state list` without a whole task: the task instances that match what was given. */
async function listTaskInstances(io: CliIo, store: StateStore, options: StateOptions): Promise<void> {
  const filter = {
    ...(options.dag === undefined ? {} : { dagId: options.dag }),
    ...(options.run === undefined ? {} : { runId: options.run }),
    ...(options.task === undefined ? {} : { taskId: options.task }),
  };
  const tis = await store.listTaskInstances(filter);
  if (options.json) return writeJson(io, { taskInstances: tis });
  if (tis.length === 0) return writeLine(io.stdout, "no task instances match");
  writeLine(
    io.stdout,
    table(
      ["DAG", "RUN", "TASK", "MAP INDEX", "TRY", "STATE", "ID"],
      tis.map((ti) => [
        ti.dagId,
        ti.runId,
        ti.taskId,
        String(ti.mapIndex),
        String(ti.tryNumber),
        ti.state,
        ti.id,
      ]),
    ),
  );
}
