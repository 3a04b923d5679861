// Every table a `pnpm bench` run prints, kept so the run can be written to a JSON file that
// `bench/RESULTS.md` is made from (with the machine and the command), not copied by hand.
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, totalmem } from "node:os";
import { join } from "node:path";

/** One printed table: its title, column names and rows of already-formatted cells. */
export interface ReportTable {
  title: string;
  columns: string[];
  rows: string[][];
}

const tables: ReportTable[] = [];

/** Keeps a printed table for the run's report. */
export function recordTable(table: ReportTable): void {
  tables.push(table);
}

/** The machine the run measured: what RESULTS.md names beside the figures. */
export function describeMachine(): Record<string, string> {
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: String(availableParallelism()),
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/**
 * Writes the run's tables, machine and command to `dir/<ISO time>.json` and returns the path.
 * `BENCH_RESULTS_DIR` (default `bench/.results`) chooses the folder.
 */
export async function writeReport(dir: string, command: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const at = new Date().toISOString();
  const file = join(dir, `${at.replaceAll(":", "-")}.json`);
  await writeFile(file, `${JSON.stringify({ at, command, machine: describeMachine(), tables }, null, 2)}\n`);
  return file;
}
