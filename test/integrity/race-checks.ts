// What the race tests check in their workers' observations, shared by the embedded-store races
// and the races over HTTP.
import type { ChildEvent } from "./processes.js";

/** What the race's observations break: failed operations, and gets of values not written for that scope and key. */
export function raceProblems(ops: ChildEvent[]): string[] {
  const problems: string[] = [];
  const writes = new Set(
    ops.filter((op) => op.op === "set").map((op) => `${op.writer}|${op.seq}|${op.scope}|${op.key}`),
  );
  for (const op of ops) {
    const what = `${op.writer} #${op.seq} ${op.op} ${op.scope} '${op.key}'`;
    if (!op.ok) {
      const error = op.error as { code?: string; message?: string };
      const row = op.row === undefined ? "" : ` (then the row ${op.row})`;
      problems.push(`${what} failed${row}: ${error.code} ${error.message}`);
      continue;
    }
    if (op.op !== "get" || op.got === null) continue;
    const got = op.got as { scope?: string; key?: string; writer?: string; seq?: number; notWhole?: string };
    if (got.notWhole !== undefined)
      problems.push(`${what} returned a value that is not whole: ${got.notWhole}`);
    else if (got.scope !== op.scope || got.key !== op.key) {
      problems.push(`${what} returned the value of ${got.scope} '${got.key}'`);
    } else if (!writes.has(`${got.writer}|${got.seq}|${got.scope}|${got.key}`)) {
      problems.push(`${what} returned ${got.writer} #${got.seq}, which no set wrote`);
    }
  }
  return problems;
}

/** Whether two workers' operations of one round ran at the same time. */
export function overlaps(a: ChildEvent, b: ChildEvent): boolean {
  return (a.started as number) < (b.ended as number) && (b.started as number) < (a.ended as number);
}
