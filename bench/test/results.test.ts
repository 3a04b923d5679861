import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { notesOf, type RunReport, readRuns, renderResults } from "../src/results.js";

const machine = { cpu: "Test CPU", cores: "2", memory: "3.8 GiB", node: "v20.20.2", platform: "linux x64" };
const s3Title = "S3StateBackend vs raw @aws-sdk/client-s3 (s3rver)";
const compareColumns = ["case", "raw SDK", "flowstate", "ratio", "target", ""];

function run(at: string, getRatio: string, mark: string): RunReport {
  return {
    at,
    command: "BENCH_GROUPS=s3,clear pnpm bench",
    machine,
    tables: [
      {
        title: s3Title,
        columns: compareColumns,
        rows: [
          ["get 1 KiB", "1.000 ms", "1.050 ms", getRatio, "≤ 1.10x", mark],
          ["set 1 MiB", "5.000 ms", "5.100 ms", "1.02x", "-", ""],
        ],
      },
      {
        title: "taskState.clear() of 10,000 keys",
        columns: ["backend", "clear", "requests", "by kind", "batched?"],
        rows: [["S3 (s3rver)", "1925 ms", "10", "10 DeleteObjects", "✓ 10 batch requests"]],
      },
    ],
  };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("renderResults", () => {
  const runs = [
    run("2026-11-26T01:00:00.000Z", "1.05x", "✓"),
    run("2026-11-26T02:00:00.000Z", "1.20x", "✗"),
    run("2026-11-26T03:00:00.000Z", "1.08x", "✓"),
  ];

  it("names the machine, the commands and how to reproduce", () => {
    const markdown = renderResults(runs);
    expect(markdown).toContain("npm run bench");
    expect(markdown).toContain("node bench/dist/results.js");
    expect(markdown).toContain("- cores: 2");
    expect(markdown).toContain("- node: v20.20.2");
    expect(markdown).toContain("- cpu: Test CPU");
    expect(markdown).toContain("| run 3 | 2026-11-26T03:00:00.000Z | `BENCH_GROUPS=s3,clear pnpm bench` |");
  });

  it("puts the runs side by side for rows with a target, keeping ✓ and ✗", () => {
    const markdown = renderResults(runs);
    expect(markdown).toContain(`## ${s3Title}`);
    expect(markdown).toContain("| case | run 1 | run 2 | run 3 | target |");
    expect(markdown).toContain("| get 1 KiB | 1.05x ✓ | 1.20x ✗ | 1.08x ✓ | ≤ 1.10x |");
    // A row without a target is only in the full tables.
    expect(markdown).not.toMatch(/\| set 1 MiB \| 1\.02x/);
    expect(markdown).toContain("| set 1 MiB | 5.000 ms | 5.100 ms | 1.02x | - |  |");
  });

  it("prints each run's full table, tables without a target too", () => {
    const markdown = renderResults(runs);
    expect(markdown).toContain("run 2 (2026-11-26T02:00:00.000Z):");
    expect(markdown).toContain("| backend | clear | requests | by kind | batched? |");
    expect(
      markdown.match(/\| S3 \(s3rver\) \| 1925 ms \| 10 \| 10 DeleteObjects \| ✓ 10 batch requests \|/g),
    ).toHaveLength(3);
  });

  it("escapes a | inside a cell", () => {
    const odd = run("2026-11-26T04:00:00.000Z", "1.00x", "✓");
    odd.tables[0]?.rows.push(["a | b", "1", "1", "1.00x", "≤ 1.10x", "✓"]);
    expect(renderResults([odd])).toContain("| a \\| b | 1.00x ✓ | ≤ 1.10x |");
  });

  it("carries over everything under ## Notes, and leaves a placeholder when there is none", () => {
    const first = renderResults(runs);
    expect(first).toContain("## Notes");
    expect(notesOf(first)).toContain("Kept when this file is regenerated");

    const notes =
      "### get 1 KiB on GCS\n\nTwo requests per read (metadata, then the pinned generation).\n\n- tried: one request";
    const edited = first.replace(/## Notes[\s\S]*$/, `## Notes\n\n${notes}\n`);
    const regenerated = renderResults(runs.slice(1), edited);
    expect(regenerated.endsWith(`## Notes\n\n${notes}\n`)).toBe(true);
    expect(regenerated).not.toContain("Kept when this file is regenerated");
  });
});

describe("readRuns", () => {
  it("reads the last N reports in time order", async () => {
    const dir = await mkdtemp(join(tmpdir(), "flowstate-bench-results-"));
    dirs.push(dir);
    const times = ["2026-11-26T01-00-00.000Z", "2026-11-26T03-00-00.000Z", "2026-11-26T02-00-00.000Z"];
    for (const [i, time] of times.entries()) {
      await writeFile(join(dir, `${time}.json`), JSON.stringify(run(time, `1.0${i}x`, "✓")));
    }
    await writeFile(join(dir, "README.txt"), "not a report");
    const read = await readRuns(dir, 2);
    expect(read.map((r) => r.at)).toEqual(["2026-11-26T02-00-00.000Z", "2026-11-26T03-00-00.000Z"]);
    expect(await readRuns(dir, 10)).toHaveLength(3);
  });
});
