// Task state in S3. The example starts a local S3-compatible server, points the backend at it
// through the environment (as an operator would override airflow.cfg), and runs a task that
// checkpoints 50 MB and an asset watermark. It prints what the task read back, what the
// metadata store holds (references) and what the bucket holds.
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { loadConfig, resetWorkerStateBackendCache, runTask, type Task } from "@flowstate/sdk";
import { openStateStore } from "@flowstate/store";
import { createTestS3Client, startS3Server } from "@flowstate/test-support";

// The AWS SDK warns that its 2027 releases need Node 22; a demo need not repeat that on every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const exampleDir = dirname(dirname(fileURLToPath(import.meta.url)));
const MIB = 1024 * 1024;
const step = (message: string) => console.log(`  … ${message}`);
const sha = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

console.log("flowstate s3-offload");
step("starting a local S3-compatible server (s3rver)");
const server = await startS3Server();
try {
  process.env.AIRFLOW__S3_STATE_BACKEND__ENDPOINT = server.endpoint;
  process.env.AWS_ACCESS_KEY_ID = server.accessKeyId; // the local server's test credentials
  process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
  const conf = await loadConfig({ cwd: exampleDir });
  const bucket = conf.get("s3_state_backend", "bucket");
  await server.createBucket(bucket);

  const store = await openStateStore(conf);
  const asset = { name: "clickstream", uri: "s3://lake/clickstream" };
  await store.registerAsset(asset);
  const ti = await store.createTaskInstance({
    dagId: "s3_offload",
    runId: `manual__${new Date().toISOString()}`,
    taskId: "aggregate",
  });

  const checkpoint = JSON.stringify({ rows: "x".repeat(50 * MIB - 64) }).padEnd(50 * MIB, " ");
  const seen = new Map<string, string>();
  const task: Task = {
    inlets: [asset],
    async execute({ taskState, assetState }) {
      step(`checkpointing ${checkpoint.length / MIB} MB (multipart upload)`);
      await taskState.set("checkpoint", checkpoint);
      await assetState?.get(asset).set("watermark", "2026-11-25T00:00:00Z");
      step("reading both back");
      const read = (await taskState.get("checkpoint")) ?? "";
      seen.set("checkpoint", `${(read.length / MIB).toFixed(1)} MB, sha256 ${sha(read)}…`);
      seen.set("watermark", (await assetState?.get(asset).get("watermark")) ?? "(missing)");
      return read === checkpoint;
    },
  };
  const result = await runTask({ task, ti, client: store.client(), conf });
  if (result.state === "failed") throw result.error;

  const rows = [
    ...(await store.listTaskState({ dagId: ti.dagId, runId: ti.runId })),
    ...(await store.listAssetState({ name: asset.name })),
  ];
  const s3 = createTestS3Client(server);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "examples/s3-offload/" }));
  const objects = new Map((listed.Contents ?? []).map((o) => [`s3://${bucket}/${o.Key}`, o.Size ?? 0]));

  console.log(`\n  config   ${conf.file}`);
  console.log(`  backend  ${conf.get("workers", "state_backend")} → ${server.endpoint}\n`);
  for (const row of rows) {
    const size = objects.get(row.value);
    console.log(`  ${row.key}`);
    console.log(`    task read back   ${seen.get(row.key)}`);
    console.log(`    metadata store   ${row.value} (${row.value.length} chars)`);
    console.log(
      `    bucket holds     ${size === undefined ? "(nothing!)" : `${size.toLocaleString("en")} bytes`}`,
    );
  }
  s3.destroy();
  await store.close();
  await resetWorkerStateBackendCache();

  const complete =
    result.returnValue === true && rows.length === 2 && rows.every((r) => objects.has(r.value));
  if (!complete) {
    console.error("\nThe values did not round-trip through S3. Something is wrong.");
    process.exitCode = 1;
  } else {
    console.log("\n  The checkpoint lives in the bucket; the metadata store kept a reference.");
  }
} finally {
  await server.stop();
}
