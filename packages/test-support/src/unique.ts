import { TaskScope } from "@flowstate/shared-state";

// Tests of one run share a bucket (and may share it with earlier runs): names made here are
// unique per process, time and call, so no test sees another's objects.
let counter = 0;

function uniqueSuffix(label: string): string {
  counter += 1;
  return `${label}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** A task scope no other test uses; `label` names the test in the dag id. */
export function uniqueTaskScope(label: string, mapIndex = -1): TaskScope {
  return new TaskScope({
    dagId: uniqueSuffix(label),
    runId: "manual__2024-01-01T00:00:00+00:00",
    taskId: "task",
    mapIndex,
  });
}

/** A storage prefix no other test uses. */
export function uniquePrefix(label: string): string {
  return `tests/${uniqueSuffix(label)}`;
}
