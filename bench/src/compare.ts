// Runs a baseline and a flowstate subject side by side with tinybench, taking turns, and reports
// the ratio of their median latencies (subject / baseline: 1.00 means as fast as the raw SDK),
// against the issue's target where one is set.
import { Bench } from "tinybench";
import { recordTable } from "./report.js";

/** The ratio a case must reach: `ratio ≤ maxRatio` (slower by at most) or `ratio ≥ minRatio`. */
export interface Target {
  maxRatio?: number;
  minRatio?: number;
}

/** One comparison: the same work done through the raw SDK and through flowstate. */
export interface Comparison {
  name: string;
  baseline: () => Promise<unknown>;
  subject: () => Promise<unknown>;
  target?: Target | undefined;
}

export interface ComparisonResult {
  name: string;
  baselineMs: number;
  subjectMs: number;
  ratio: number;
  target?: Target | undefined;
}

/** Rounds per comparison: baseline and subject take turns, so drift in the server hits both. */
const ROUNDS = 4;

/**
 * Measures each comparison in {@link ROUNDS} rounds of about `timeMs / ROUNDS` per side, the side
 * that goes first alternating (baseline first, then subject first, …). The reported times are the
 * medians of the rounds' medians; the ratio is the median of the rounds' own ratios, each taken
 * between two measurements made next to each other.
 */
export async function compare(comparisons: Comparison[], timeMs: number): Promise<ComparisonResult[]> {
  const results: ComparisonResult[] = [];
  const roundMs = Math.max(50, Math.round(timeMs / ROUNDS));
  for (const { name, baseline, subject, target } of comparisons) {
    const rounds: Array<{ baselineMs: number; subjectMs: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const bench = new Bench({ time: roundMs, iterations: 5, warmupIterations: 2 });
      if (round % 2 === 0) bench.add("baseline", baseline).add("subject", subject);
      else bench.add("subject", subject).add("baseline", baseline);
      await bench.run();
      const [baselineMs, subjectMs] = ["baseline", "subject"].map((task) =>
        medianMs(bench.getTask(task)?.result, name),
      ) as [number, number];
      rounds.push({ baselineMs, subjectMs });
    }
    results.push({
      name,
      baselineMs: median(rounds.map((r) => r.baselineMs)),
      subjectMs: median(rounds.map((r) => r.subjectMs)),
      ratio: median(rounds.map((r) => r.subjectMs / r.baselineMs)),
      target,
    });
    process.stderr.write(".");
  }
  process.stderr.write("\n");
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function medianMs(result: unknown, name: string): number {
  const { latency, error } = (result ?? {}) as { latency?: { p50?: number }; error?: unknown };
  if (error) throw new Error(`benchmark '${name}' failed`, { cause: error });
  if (latency?.p50 === undefined) throw new Error(`benchmark '${name}' produced no latency`);
  return latency.p50;
}

/** `≤ 1.30x` / `≥ 0.95x`, or `-` when the case has no target. */
export function describeTarget(target: Target | undefined): string {
  if (target?.maxRatio !== undefined) return `≤ ${target.maxRatio.toFixed(2)}x`;
  if (target?.minRatio !== undefined) return `≥ ${target.minRatio.toFixed(2)}x`;
  return "-";
}

/** `✓`, `✗`, or `` when there is no target. */
export function meetsTarget(ratio: number, target: Target | undefined): string {
  if (target?.maxRatio !== undefined) return ratio <= target.maxRatio ? "✓" : "✗";
  if (target?.minRatio !== undefined) return ratio >= target.minRatio ? "✓" : "✗";
  return "";
}

/** Prints results as a fixed-width table with target and ✓/✗ columns, and records it for the report. */
export function printTable(title: string, baselineName: string, results: ComparisonResult[]): void {
  const header = `${title}  (median per operation; ratio = flowstate / ${baselineName})`;
  const lines = [
    `  ${"case".padEnd(38)}${baselineName.padStart(14)}${"flowstate".padStart(14)}${"ratio".padStart(9)}${"target".padStart(10)}`,
  ];
  for (const r of results) {
    const ms = (value: number) => `${value.toFixed(3)} ms`.padStart(14);
    lines.push(
      `  ${r.name.padEnd(38)}${ms(r.baselineMs)}${ms(r.subjectMs)}${`${r.ratio.toFixed(2)}x`.padStart(9)}${describeTarget(r.target).padStart(10)} ${meetsTarget(r.ratio, r.target)}`,
    );
  }
  console.log(`\n${header}\n${lines.join("\n")}`);
  recordTable({
    title,
    columns: ["case", baselineName, "flowstate", "ratio", "target", ""],
    rows: results.map((r) => [
      r.name,
      `${r.baselineMs.toFixed(3)} ms`,
      `${r.subjectMs.toFixed(3)} ms`,
      `${r.ratio.toFixed(2)}x`,
      describeTarget(r.target),
      meetsTarget(r.ratio, r.target),
    ]),
  });
}
