// Runs a baseline and a flowstate subject side by side with tinybench and reports the ratio of
// their median latencies (subject / baseline: 1.00 means as fast as the raw SDK).
import { Bench } from "tinybench";

/** One comparison: the same work done through the raw SDK and through flowstate. */
export interface Comparison {
  name: string;
  baseline: () => Promise<unknown>;
  subject: () => Promise<unknown>;
}

export interface ComparisonResult {
  name: string;
  baselineMs: number;
  subjectMs: number;
  ratio: number;
}

/** Measures each comparison in turn (baseline, then subject), for about `timeMs` each. */
export async function compare(comparisons: Comparison[], timeMs: number): Promise<ComparisonResult[]> {
  const results: ComparisonResult[] = [];
  for (const { name, baseline, subject } of comparisons) {
    const bench = new Bench({ time: timeMs, iterations: 5, warmupIterations: 2 });
    bench.add("baseline", baseline).add("subject", subject);
    await bench.run();
    const [baselineMs, subjectMs] = ["baseline", "subject"].map((task) =>
      medianMs(bench.getTask(task)?.result, name),
    ) as [number, number];
    results.push({ name, baselineMs, subjectMs, ratio: subjectMs / baselineMs });
    process.stderr.write(".");
  }
  process.stderr.write("\n");
  return results;
}

function medianMs(result: unknown, name: string): number {
  const { latency, error } = (result ?? {}) as { latency?: { p50?: number }; error?: unknown };
  if (error) throw new Error(`benchmark '${name}' failed`, { cause: error });
  if (latency?.p50 === undefined) throw new Error(`benchmark '${name}' produced no latency`);
  return latency.p50;
}

/** Prints results as a fixed-width table. */
export function printTable(title: string, baselineName: string, results: ComparisonResult[]): void {
  console.log(`\n${title}  (median per operation; ratio = flowstate / ${baselineName})`);
  console.log(
    `  ${"case".padEnd(34)}${baselineName.padStart(14)}${"flowstate".padStart(14)}${"ratio".padStart(9)}`,
  );
  for (const r of results) {
    const ms = (value: number) => `${value.toFixed(3)} ms`.padStart(14);
    console.log(
      `  ${r.name.padEnd(34)}${ms(r.baselineMs)}${ms(r.subjectMs)}${`${r.ratio.toFixed(2)}x`.padStart(9)}`,
    );
  }
}
