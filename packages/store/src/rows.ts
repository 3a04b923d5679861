/**
 * What every dialect shares between its SQL and the store's types: the shape rows come back in
 * (times as epoch milliseconds, as both schemas store them) and how they become the public rows.
 */
import type { TaskKey } from "./database.js";
import type { AssetStateRow, TaskStateRow } from "./types.js";

/** A task state row as the statements select it (`TASK_STATE_ROW` of each dialect). */
export type TaskStateRecord = Omit<TaskStateRow, "expiresAt" | "updatedAt"> & {
  expiresAtMs: number | null;
  updatedAtMs: number;
};

/** An asset state row as the statements select it. */
export type AssetStateRecord = Omit<AssetStateRow, "updatedAt"> & { updatedAtMs: number };

export function taskStateRow({ expiresAtMs, updatedAtMs, ...row }: TaskStateRecord): TaskStateRow {
  return {
    ...row,
    expiresAt: expiresAtMs === null ? null : new Date(expiresAtMs),
    updatedAt: new Date(updatedAtMs),
  };
}

export function assetStateRow({ updatedAtMs, ...row }: AssetStateRecord): AssetStateRow {
  return { ...row, updatedAt: new Date(updatedAtMs) };
}

/** Just the task's key fields (a task instance record carries more), as statement parameters. */
export function taskParams(task: TaskKey): TaskKey {
  return { dagId: task.dagId, runId: task.runId, taskId: task.taskId, mapIndex: task.mapIndex };
}

/** The filter of `listTaskState` as statement parameters: `null` matches everything. */
export function taskFilterParams(filter: {
  dagId?: string;
  runId?: string;
  taskId?: string;
  mapIndex?: number;
}): { dagId: string | null; runId: string | null; taskId: string | null; mapIndex: number | null } {
  return {
    dagId: filter.dagId ?? null,
    runId: filter.runId ?? null,
    taskId: filter.taskId ?? null,
    mapIndex: filter.mapIndex ?? null,
  };
}

/** The filter of `listAssetState` as statement parameters: `null` matches everything. */
export function assetFilterParams(filter: { name?: string; uri?: string }): {
  name: string | null;
  uri: string | null;
} {
  return { name: filter.name ?? null, uri: filter.uri ?? null };
}
