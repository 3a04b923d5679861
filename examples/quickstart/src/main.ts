// The quickstart: a task saves a job id and a 1 MB payload, crashes, and its retry re-attaches
// to the job with both values intact. The values live in the worker backend named in
// airflow.cfg (loaded by class path); the SQLite metadata store holds only references.
import { createHash, randomUUID } from "node:crypto";
import { dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  getWorkerStateBackend,
  loadConfig,
  resetWorkerStateBackendCache,
  runTask,
  type Task,
} from "@flowstate/sdk";
import { openStateStore } from "@flowstate/store";

const exampleDir = dirname(dirname(fileURLToPath(import.meta.url)));
// Paths relative to where the user ran the command (pnpm and npm set INIT_CWD).
const shown = (path: string | undefined) =>
  path ? relative(process.env.INIT_CWD ?? process.cwd(), path) || "." : "(none)";

const conf = await loadConfig({ cwd: exampleDir });
// Load the backend up front: a wrong class path should stop us here, not fail every try.
await getWorkerStateBackend(conf).catch((error: Error) => {
  console.error(`${error.message}\n`);
  process.exit(1);
});
const store = await openStateStore(conf);
const dagId = "quickstart";
const runId = `manual__${new Date().toISOString()}`;
const orders = { name: "daily_orders", uri: "s3://warehouse/orders/daily" };
await store.registerAsset(orders);

const payload = "0123456789abcdef".repeat(65_536); // 1 MiB of text
const digest = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);
const seen = new Map<string, string>();

/** Submits a long job once; a retry re-attaches to it instead of submitting again. */
const submitJob: Task = {
  inlets: [orders],
  async execute({ taskState, assetState }) {
    const jobId = await taskState.get("job_id");
    if (jobId === undefined) {
      const newJob = `job-${randomUUID().slice(0, 8)}`;
      await taskState.set("job_id", newJob);
      await taskState.set("payload", payload);
      await assetState?.get(orders).set("watermark", "2026-11-24");
      throw new Error(`worker lost while waiting for ${newJob}`);
    }
    const saved = (await taskState.get("payload")) ?? "";
    seen.set("job_id", jobId);
    seen.set("payload", `${saved.length.toLocaleString("en")} chars, sha256 ${digest(saved)}`);
    seen.set("watermark", (await assetState?.get(orders).get("watermark")) ?? "(missing)");
    return saved === payload;
  },
};

console.log("flowstate quickstart");
console.log(`  config   ${shown(conf.file)}`);
console.log(`  backend  ${conf.get("workers", "state_backend")}   ([workers] state_backend)`);
console.log(`  store    ${shown(store.location)} (SQLite)\n`);

let intact = false;
for (const tryNumber of [1, 2]) {
  const ti = await store.createTaskInstance({ dagId, runId, taskId: "submit_job", tryNumber });
  const result = await runTask({ task: submitJob, ti, client: store.client(), conf });
  const outcome =
    result.state === "failed"
      ? `failed: ${result.error instanceof Error ? result.error.message : String(result.error)}`
      : `success: re-attached to ${seen.get("job_id")}, payload intact: ${result.returnValue}`;
  intact = result.state === "success" && result.returnValue === true;
  console.log(`  try ${tryNumber}  ${outcome}`);
}

const taskRows = await store.listTaskState({ dagId, runId });
const assetRows = await store.listAssetState({ name: orders.name });
const rows = [
  ...taskRows.map((r) => ({ kind: "task", key: r.key, stored: r.value })),
  ...assetRows.map((r) => ({ kind: "asset", key: r.key, stored: r.value })),
];
console.log(`\n  ${"key".padEnd(16)}${"what the task saw".padEnd(44)}what the metadata store holds`);
for (const { kind, key, stored } of rows) {
  console.log(`  ${`${kind}:${key}`.padEnd(16)}${(seen.get(key) ?? "").padEnd(44)}${stored}`);
}
await store.close();
await resetWorkerStateBackendCache();

const onlyRefs = rows.length === 3 && rows.every((r) => r.stored.startsWith("memory://"));
if (!intact || !onlyRefs) {
  console.error("\nThe retry did not see its state through the backend. Something is wrong.");
  process.exit(1);
}
console.log("\n  The retry saw its state; the metadata store kept references only.");
console.log("  Next: examples/custom-backend (your own plugin), examples/s3-offload (values in S3).");
