// What the race tests check in their workers' observations, shared by the embedded-store races
// and the races over HTTP.
import { type Fixture, inspectIntegrity } from "./harness.js";
import type { ChildEvent, LineProcess } from "./processes.js";

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

/** What {@link runSetDeleteRounds} saw. */
export interface RoundsOutcome {
  /** Failed operations, rows naming nothing and orphans, by round. */
  broken: string[];
  /** Rounds whose set and delete ran at the same time. */
  overlapped: number;
  /** Rounds after which a row was left (the set came last). */
  rowsLeft: number;
}

/**
 * Drives `rounds` rounds of one key set by `setter` and deleted by `deleter` at (nearly) the same
 * moment, and checks after each round that no row names a missing object and no object is unnamed.
 */
export async function runSetDeleteRounds(
  fx: Fixture,
  setter: LineProcess,
  deleter: LineProcess,
  rounds: number,
): Promise<RoundsOutcome> {
  const broken: string[] = [];
  let overlapped = 0;
  let rowsLeft = 0;
  for (let round = 0; round < rounds; round += 1) {
    // Mostly at once; in some rounds the delete comes a few milliseconds later, after the row.
    setter.send(`go ${round}`);
    deleter.send(`go ${round} ${round % 4 === 3 ? (round * 7) % 23 : 0}`);
    const done = (child: LineProcess) =>
      child.next((event) => event.event === "round" && event.round === round, `finishing round ${round}`);
    const [set, deleted] = await Promise.all([done(setter), done(deleter)]);
    for (const event of [set, deleted]) {
      if (!event.ok) broken.push(`round ${round}: ${JSON.stringify(event.error)}`);
    }
    if (overlaps(set, deleted)) overlapped += 1;
    const report = await inspectIntegrity(fx);
    for (const problem of report.problems) broken.push(`round ${round}: ${problem}`);
    if (report.orphans.length > 0)
      broken.push(`round ${round}: ${report.orphans.length} unnamed object(s) left`);
    rowsLeft += report.rows;
  }
  return { broken, overlapped, rowsLeft };
}
