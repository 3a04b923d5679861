// `node bench/dist/results.js [N]` (`pnpm bench:results`): renders bench/RESULTS.md from the last
// N (default 3) run reports in bench/.results/ that `pnpm bench` writes, so the published figures
// are the measured ones, never copied by hand. Everything under `## Notes` in the existing
// RESULTS.md (what was tried per miss, written by people) is carried over.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ReportTable } from "./report.js";

/** One `bench/.results/<time>.json` file, as `writeReport` writes it. */
export interface RunReport {
  at: string;
  command: string;
  machine: Record<string, string>;
  tables: ReportTable[];
}

const NOTES_HEADING = "## Notes";
const NOTES_PLACEHOLDER =
  "_For each ✗ above: what was profiled and tried, and where the floor is. Kept when this file is regenerated._";

/** The last `count` reports in `dir`, oldest first (file names are ISO times, so they sort). */
export async function readRuns(dir: string, count: number): Promise<RunReport[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".json")).sort();
  const chosen = names.slice(Math.max(0, names.length - count));
  return Promise.all(
    chosen.map(async (name) => JSON.parse(await readFile(join(dir, name), "utf8")) as RunReport),
  );
}

/** What follows `## Notes` in an existing RESULTS.md (trimmed), or `undefined` when it has none. */
export function notesOf(markdown: string | undefined): string | undefined {
  if (markdown === undefined) return undefined;
  const at = markdown.search(/^## Notes[ \t]*$/m);
  if (at < 0) return undefined;
  const notes = markdown.slice(at + NOTES_HEADING.length).trim();
  return notes === "" ? undefined : notes;
}

/**
 * RESULTS.md for `runs` (oldest first): how to reproduce, the machine, the runs' commands, then
 * every table: rows that have a target side by side across the runs (value and ✓/✗ per run),
 * followed by each run's full table. `previous` is the existing file, whose notes are kept.
 */
export function renderResults(runs: readonly RunReport[], previous?: string): string {
  const out: string[] = [
    "# Benchmark results",
    "",
    "Generated from the run reports in `bench/.results/`; do not edit the figures by hand.",
    "To reproduce on your machine:",
    "",
    "```sh",
    "npm run bench                  # installs, builds, runs every group; writes bench/.results/<time>.json",
    "node bench/dist/results.js 3   # renders this file from the last 3 runs (npm run bench:results)",
    "```",
    "",
    "`BENCH_GROUPS=s3,accessors,…` runs only some groups. Ratios are flowstate / the raw SDK, measured",
    "side by side in the same run, so they hold better than absolute times on a busy machine.",
    "",
  ];
  if (runs.length === 0) out.push("_No runs yet: run `npm run bench` first._", "");
  else {
    out.push(...renderMachine(runs), ...renderRunList(runs));
    for (const title of tableTitles(runs)) out.push(...renderTitle(title, runs));
  }
  out.push(NOTES_HEADING, "", notesOf(previous) ?? NOTES_PLACEHOLDER, "");
  return out.join("\n");
}

function renderMachine(runs: readonly RunReport[]): string[] {
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run.machine)))];
  const same = runs.every((run) => keys.every((key) => run.machine[key] === runs[0]?.machine[key]));
  if (same) {
    return ["## Machine", "", ...keys.map((key) => `- ${key}: ${runs[0]?.machine[key] ?? "?"}`), ""];
  }
  return [
    "## Machines",
    "",
    ...markdownTable(
      ["", ...runs.map((_, i) => `run ${i + 1}`)],
      keys.map((key) => [key, ...runs.map((run) => run.machine[key] ?? "?")]),
    ),
    "",
  ];
}

function renderRunList(runs: readonly RunReport[]): string[] {
  return [
    "## Runs",
    "",
    ...markdownTable(
      ["run", "at", "command"],
      runs.map((run, i) => [`run ${i + 1}`, run.at, `\`${run.command}\``]),
    ),
    "",
  ];
}

/** Every table title, in the order the runs first printed them. */
function tableTitles(runs: readonly RunReport[]): string[] {
  return [...new Set(runs.flatMap((run) => run.tables.map((table) => table.title)))];
}

function renderTitle(title: string, runs: readonly RunReport[]): string[] {
  const tables = runs.map((run) => run.tables.find((table) => table.title === title));
  const out = [`## ${title}`, ""];
  const summary = sideBySide(tables);
  if (summary.length > 0) out.push(...summary, "");
  tables.forEach((table, i) => {
    if (!table) return;
    const label = runs.length > 1 ? `run ${i + 1} (${runs[i]?.at})` : `${runs[i]?.at}`;
    out.push(`${label}:`, "", ...markdownTable(table.columns, table.rows), "");
  });
  return out;
}

/**
 * Rows with a target, one line per case: each run's value (the `ratio` column, else the column
 * just before `target`) with its ✓/✗ (the unnamed column after `target`), then the target. Empty when no table has a target column.
 */
function sideBySide(tables: ReadonlyArray<ReportTable | undefined>): string[] {
  const cases = new Map<string, { target: string; cells: string[] }>();
  tables.forEach((table, run) => {
    const targetAt = table?.columns.indexOf("target") ?? -1;
    if (!table || targetAt < 1) return;
    const ratioAt = table.columns.indexOf("ratio");
    const valueAt = ratioAt >= 0 ? ratioAt : targetAt - 1;
    // The ✓/✗ column: the unnamed one after `target` (a table may have more columns after it).
    const unnamedAt = table.columns.indexOf("", targetAt + 1);
    const markAt = unnamedAt >= 0 ? unnamedAt : table.columns.length - 1;
    for (const row of table.rows) {
      const target = row[targetAt] ?? "-";
      if (target === "-" || target === "") continue;
      const name = row[0] ?? "";
      const entry = cases.get(name) ?? { target, cells: tables.map(() => "") };
      const mark = markAt > targetAt ? (row[markAt] ?? "") : "";
      entry.cells[run] = `${row[valueAt] ?? ""} ${mark}`.trim();
      cases.set(name, entry);
    }
  });
  if (cases.size === 0) return [];
  const runNames = tables.map((_, i) => (tables.length > 1 ? `run ${i + 1}` : "result"));
  return markdownTable(
    ["case", ...runNames, "target"],
    [...cases].map(([name, { target, cells }]) => [name, ...cells, target]),
  );
}

function markdownTable(columns: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) =>
    `| ${columns.map((_, i) => escapeCell(cells[i] ?? "")).join(" | ")} |`;
  return [line(columns), `|${columns.map(() => " --- ").join("|")}|`, ...rows.map(line)];
}

function escapeCell(cell: string): string {
  return cell.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** The CLI: `[N]` runs from `BENCH_RESULTS_DIR` (default bench/.results) into bench/RESULTS.md. */
async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 3);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`usage: node bench/dist/results.js [N ≥ 1], got ${process.argv[2]}`);
  const benchDir = fileURLToPath(new URL("..", import.meta.url));
  const dir = process.env.BENCH_RESULTS_DIR ?? join(benchDir, ".results");
  const file = join(benchDir, "RESULTS.md");
  const previous = await readFile(file, "utf8").catch(() => undefined);
  const runs = await readRuns(dir, count).catch((error: unknown) => {
    throw new Error(`no run reports in ${dir}: run \`npm run bench\` first`, { cause: error });
  });
  await writeFile(file, renderResults(runs, previous));
  console.log(`${file}: ${runs.length} run(s) from ${dir}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
