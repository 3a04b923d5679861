// `taskState.clear()` of a task instance holding 10,000 keys, each a value in object storage: the
// store removes the rows and answers with them, then the backend deletes exactly the objects they
// named. Printed: the time and every storage request the clear sent, by kind, to show the deletes
// are batched (S3: one DeleteObjects per 1,000 keys; GCS: one JSON API batch per 100).
//
// Requests are counted where they leave this process (`http.client.request.start`), so the count
// covers whatever client a backend builds inside, and nothing but the clear runs while counting.
// The firebase emulator has no batch endpoint: GCS runs through test-support's batch front (in
// this process), which splits each batch into requests to the emulator; those carry its `Via`
// header and are left out of the count (the front's own count of the calls is shown beside).
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { join } from "node:path";
import { GcsStateBackend } from "@flowstate/backend-gcs";
import { Config, TaskStateAccessor } from "@flowstate/sdk";
import type { StateBackend } from "@flowstate/shared-state";
import { TaskScope } from "@flowstate/shared-state";
import { openSqliteStateStore } from "@flowstate/store";
import { startGcsEmulator } from "@flowstate/test-support";
import { type BenchContext, text } from "../context.js";
import { recordTable } from "../report.js";

const OBJECTS = Number(process.env.BENCH_CLEAR_OBJECTS ?? 10_000);
/** Sets in flight while seeding (not measured). */
const SEED_CONCURRENCY = 32;

/** `BENCH_GROUPS=clear`: S3 on the shared s3rver, then GCS on an emulator started here. */
export async function runClearGroup({ backend: s3Backend, workDir }: BenchContext): Promise<void> {
  const rows: string[][] = [];
  rows.push(
    await clearOnce("S3 (s3rver)", s3Backend, workDir, { requestName: s3RequestName, batchSize: 1000 }),
  );
  const emulator = await startGcsEmulator({ batch: true }).catch((error: unknown) => {
    console.log(`GCS emulator did not start, GCS skipped: ${String(error)}`);
    return undefined;
  });
  if (emulator) {
    const { apiEndpoint, projectId, batchFront } = emulator;
    const gcs = new GcsStateBackend({ bucket: "bench-clear", apiEndpoint, projectId });
    try {
      const calls = () => batchFront?.counts.call ?? 0;
      rows.push(
        await clearOnce("GCS (firebase emulator + batch front)", gcs, workDir, {
          requestName: gcsRequestName,
          batchSize: 100,
          calls,
        }),
      );
    } finally {
      await gcs.close();
      await emulator.stop();
    }
  }
  const title = `taskState.clear() of ${OBJECTS.toLocaleString("en")} keys (objects in the backend)`;
  const columns = ["backend", "clear", "requests", "by kind", "batched?"];
  const widths = [40, 12, 10, 44];
  console.log(`\n${title}  (seeding not measured; requests counted as they leave the process)`);
  for (const cells of [columns, ...rows]) {
    console.log(
      `  ${cells.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i] ?? 0) : cell)).join("")}`,
    );
  }
  recordTable({ title, columns, rows });
}

/** How one backend's requests are named and batched. */
interface RequestKinds {
  /** The API call a request is, from its method and path. */
  requestName: (method: string, path: string) => string;
  /** The most objects one batch request deletes (S3 1000, GCS 100). */
  batchSize: number;
  /** Calls carried inside batches so far, where something counts them (GCS's batch front). */
  calls?: () => number;
}

async function clearOnce(
  label: string,
  backend: StateBackend,
  workDir: string,
  { requestName, batchSize, calls }: RequestKinds,
): Promise<string[]> {
  const store = await openSqliteStateStore({ path: join(workDir, `clear-${Date.now()}.db`) });
  try {
    const scope = new TaskScope({ dagId: "bench_clear", runId: `run_${Date.now()}`, taskId: "task" });
    const ti = await store.createTaskInstance({
      dagId: scope.dagId,
      runId: scope.runId,
      taskId: scope.taskId,
    });
    const taskState = new TaskStateAccessor({
      tiId: ti.id,
      scope,
      client: store.client(),
      conf: Config.fromString("", { env: {} }),
      backend,
    });
    const value = text(64);
    const seedStart = performance.now();
    let next = 0;
    const seeder = async () => {
      while (next < OBJECTS) {
        const key = `key_${next++}`;
        await taskState.set(key, value);
      }
    };
    await Promise.all(Array.from({ length: SEED_CONCURRENCY }, seeder));
    const seedMs = performance.now() - seedStart;

    const requests = new Map<string, number>();
    let inFlight = 0;
    let mostInFlight = 0;
    const onRequest = (message: unknown) => {
      const { request } = message as { request: ClientRequest };
      if (/flowstate-batch-front/.test(String(request.getHeader("via") ?? ""))) return; // the front's, not the backend's
      const name = requestName(request.method, request.path);
      requests.set(name, (requests.get(name) ?? 0) + 1);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      request.once("close", () => {
        inFlight -= 1;
      });
    };
    subscribe("http.client.request.start", onRequest);
    const callsBefore = calls?.() ?? 0;
    const start = performance.now();
    try {
      await taskState.clear();
    } finally {
      unsubscribe("http.client.request.start", onRequest);
    }
    const clearMs = performance.now() - start;
    if ((await taskState.get("key_0")) !== undefined) throw new Error(`${label}: clear left key_0`);

    const total = [...requests.values()].reduce((sum, count) => sum + count, 0);
    const byKind = [...requests]
      .map(([name, count]) =>
        name === "batch" && calls
          ? `${count} batch (${calls() - callsBefore} calls in them)`
          : `${count} ${name}`,
      )
      .join(", ");
    const batches = requests.get("DeleteObjects") ?? requests.get("batch") ?? 0;
    const oneByOne = requests.get("DeleteObject") ?? requests.get("objects.delete") ?? 0;
    const batched =
      batches > 0 && oneByOne === 0 && batches <= Math.ceil(OBJECTS / batchSize)
        ? `✓ ${batches} batch requests of ≤ ${batchSize}`
        : `✗ ${oneByOne} one-object requests, at most ${mostInFlight} in flight`;
    console.error(`${label}: seeded ${OBJECTS} keys in ${(seedMs / 1000).toFixed(1)} s`);
    return [label, `${clearMs.toFixed(0)} ms`, String(total), byKind, batched];
  } finally {
    await store.close();
  }
}

/** The S3 API call a request is, from its method and query (path-style addressing). */
function s3RequestName(method: string, path: string): string {
  const query = path.split("?")[1] ?? "";
  if (method === "POST" && /(^|&)delete(=|&|$)/.test(query)) return "DeleteObjects";
  if (method === "GET" && query.includes("list-type=2")) return "ListObjectsV2";
  if (method === "DELETE") return "DeleteObject";
  return `${method} ${path.split("?")[0]}`;
}

/** The GCS JSON API call a request is. */
function gcsRequestName(method: string, path: string): string {
  if (path.startsWith("/batch/")) return "batch";
  if (method === "DELETE" && path.includes("/o/")) return "objects.delete";
  if (method === "GET" && /\/o(\?|$)/.test(path)) return "objects.list";
  return `${method} ${path.split("?")[0]}`;
}
