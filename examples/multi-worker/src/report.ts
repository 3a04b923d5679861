// What the run shows, and whether it checks out.
import { BACKEND, BUCKET, type DemoResult, PREFIX } from "./demo.js";
import type { DoneReport, Report } from "./protocol.js";

const isDone = (report: Report): report is DoneReport => "done" in report;
const isWrite = (report: Report): report is Exclude<Report, DoneReport> => "wrote" in report;

/** Everything that does not check out; empty when the run is sound. */
export function problems(result: DemoResult): string[] {
  const found: string[] = [];
  const rows = [...result.taskRows, ...result.assetRows];
  for (const row of rows) {
    if (row.backend !== BACKEND) found.push(`row ${row.key} was written without ${BACKEND}`);
    if (!result.objects.has(row.value))
      found.push(`row ${row.key} names ${row.value}, which is not in the bucket`);
  }
  if (result.taskRows.some((row) => row.key !== "checkpoint")) found.push("a deleted key still has a row");
  const mapIndices = [...new Set(result.reports.map((report) => report.mapIndex))].filter((m) => m >= 0);
  for (const mapIndex of mapIndices) {
    const tries = result.reports.filter((r): r is DoneReport => isDone(r) && r.mapIndex === mapIndex);
    const writes = result.reports.filter(
      (r) => isWrite(r) && r.mapIndex === mapIndex && r.key === "checkpoint",
    );
    const last = writes.at(-1);
    if (tries.at(-1)?.done !== "success")
      found.push(`partition ${mapIndex} did not succeed: ${tries.at(-1)?.done}`);
    if (last && isWrite(last) && result.values.get(`checkpoint[${mapIndex}]`) !== last.wrote)
      found.push(`partition ${mapIndex}: the store does not hold its last checkpoint (${last.wrote})`);
    for (const [i, retry] of tries.entries()) {
      if (i === 0) continue;
      const before = writes.filter((w) => isWrite(w) && w.tiId === tries[i - 1]?.tiId).at(-1);
      if (!before || !isWrite(before) || retry.saw !== before.wrote)
        found.push(`partition ${mapIndex} try ${retry.tryNumber} did not see what the try before it left`);
    }
  }
  const marks = new Set(
    result.reports
      .filter(isWrite)
      .filter((r) => r.key === "watermark")
      .map((r) => r.wrote),
  );
  if (!marks.has(result.values.get("watermark") ?? "")) found.push("the watermark is not one a worker wrote");
  if (!result.reports.some((r) => isDone(r) && r.tryNumber > 1)) found.push("no try was retried");
  return found;
}

/** The printed report: each try, each row (references only) and each object in the bucket. */
export function describe(result: DemoResult): string[] {
  const short = (text: string) => text.replace(/manual__[^/]+/, "manual__…");
  const serverOf = new Map(result.servers.map((s) => [s.url, s.name]));
  const named = new Set([...result.taskRows, ...result.assetRows].map((row) => row.value));
  const lines = ["", "  workers (task instance, try, API server → outcome)"];
  const tries = result.reports.filter(isDone);
  tries.sort(
    (a, b) => a.worker.localeCompare(b.worker) || a.mapIndex - b.mapIndex || a.tryNumber - b.tryNumber,
  );
  for (const r of tries) {
    const writes = result.reports.filter((w) => isWrite(w) && w.tiId === r.tiId).length;
    const saw = r.saw ? `, resumed from "${r.saw}"` : "";
    lines.push(
      `    ${r.worker}  partition ${r.mapIndex} try ${r.tryNumber} via ${serverOf.get(r.via) ?? "?"}  → ${r.done} (${writes} writes${saw})`,
    );
  }
  const rows = [...result.taskRows, ...result.assetRows];
  const backends = [...new Set(rows.map((row) => row.backend ?? "(none: plain values!)"))].join(", ");
  lines.push("", `  metadata store (PostgreSQL): ${rows.length} rows, references only (backend ${backends})`);
  for (const row of result.taskRows) lines.push(`    ${row.key}[${row.mapIndex}]  ${short(row.value)}`);
  for (const row of result.assetRows) lines.push(`    ${row.assetName}:${row.key}  ${short(row.value)}`);
  const orphans = [...result.objects.keys()].filter((ref) => !named.has(ref)).length;
  const bucket = `s3://${BUCKET}/${PREFIX}/`;
  lines.push("", `  bucket ${bucket}: ${result.objects.size} objects, ${orphans} named by no row`);
  for (const [ref, size] of result.objects) {
    lines.push(`    ${short(ref.slice(bucket.length))}  ${size} bytes${named.has(ref) ? "" : "  (orphan)"}`);
  }
  return lines;
}
