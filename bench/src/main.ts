// `pnpm bench`: flowstate against the raw storage SDKs on this machine, as ratios measured in the
// same run. S3 runs against a local s3rver started here (so network latency is near zero and the
// ratios show flowstate's own overhead at its largest); the metadata store is a real SQLite file.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { MemoryStateBackend } from "@flowstate/backend-memory";
import { S3StateBackend } from "@flowstate/backend-s3";
import { Config, TaskStateAccessor } from "@flowstate/sdk";
import { type StateBackend, TaskScope } from "@flowstate/shared-state";
import { openSqliteStateStore } from "@flowstate/store";
import { createTestS3Client, startS3Server } from "@flowstate/test-support";
import Database from "better-sqlite3";
import { runApiServerBench } from "./api.js";
import { type Comparison, compare, printTable } from "./compare.js";

// The AWS SDK warns that its 2027 releases need Node 22; the benchmark output need not repeat it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 400);
const KIB = 1024;
const MIB = 1024 * KIB;
const text = (bytes: number) => "flowstate-bench-".repeat(Math.ceil(bytes / 16)).slice(0, bytes);
const scope = new TaskScope({ dagId: "bench", runId: "run", taskId: "task" });
const conf = Config.fromString("", { env: {} });

const workDir = await mkdtemp(join(tmpdir(), "flowstate-bench-"));
const server = await startS3Server();
try {
  await server.createBucket("bench");
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
  });
  // The raw client retries as the backend's does by default (3 attempts): s3rver now and then
  // drops a connection under a burst of multipart uploads, and a like-for-like baseline rides it out.
  const s3 = createTestS3Client(server, { maxAttempts: 3 });
  const backend = new S3StateBackend({
    bucket: "bench",
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    checksums: "when_required",
  });

  const rawPut = (key: string, body: string) => () =>
    s3.send(new PutObjectCommand({ Bucket: "bench", Key: `raw/${key}`, Body: body }));
  // Like for like with a versioned write: a PutObject of a new object each time (s3rver creates a
  // folder per object, which an overwrite of one key skips).
  let written = 0;
  const rawPutNew = (key: string, body: string) => () => {
    written += 1;
    return s3.send(new PutObjectCommand({ Bucket: "bench", Key: `raw/${key}/${written}`, Body: body }));
  };
  const rawGet = (key: string) => async () =>
    (await s3.send(new GetObjectCommand({ Bucket: "bench", Key: `raw/${key}` }))).Body?.transformToString();

  // The backend is measured through the hooks the accessors call: every serialize writes a new
  // version (one PutObject), every deserialize reads the version its reference names (one GetObject).
  const write = (key: string, body: string) =>
    backend.serializeTaskStateToRef({ value: body, key, tiId: "bench", scope });
  const s3Cases: Comparison[] = [];
  for (const [label, bytes] of [
    ["1 KiB", KIB],
    ["1 MiB", MIB],
    ["16 MiB (multipart)", 16 * MIB],
  ] as const) {
    const value = text(bytes);
    await rawPut(label, value)();
    const ref = await write(label, value);
    s3Cases.push(
      { name: `set ${label}`, baseline: rawPutNew(label, value), subject: () => write(label, value) },
      {
        name: `get ${label}`,
        baseline: rawGet(label),
        subject: () => backend.deserializeTaskStateFromRef(ref, { key: label, scope }),
      },
    );
  }
  // Above the multipart threshold the backend uploads in parts; the like-for-like baseline is the
  // SDK's own multipart Upload with the same part size, next to the single PutObject above.
  const multipart = text(16 * MIB);
  s3Cases.push({
    name: "set 16 MiB vs raw multipart Upload",
    baseline: () =>
      new Upload({
        client: s3,
        params: { Bucket: "bench", Key: "raw/upload", Body: Buffer.from(multipart) },
        partSize: 8 * MIB,
        queueSize: 4,
      }).done(),
    subject: () => write("upload", multipart),
  });
  printTable("S3StateBackend vs raw @aws-sdk/client-s3 (s3rver)", "raw SDK", await compare(s3Cases, TIME_MS));

  const db = new Database(join(workDir, "raw.db"));
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT, expires_at INTEGER)");
  const upsert = db.prepare(
    "INSERT INTO kv VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
  );
  const select = db.prepare("SELECT value FROM kv WHERE key = ?");
  const store = await openSqliteStateStore({ path: join(workDir, "airflow.db") });
  const ti = await store.createTaskInstance({ dagId: "bench", runId: "run", taskId: "task" });
  const accessor = (b: StateBackend | undefined) =>
    new TaskStateAccessor({ tiId: ti.id, scope, client: store.client(), conf, backend: b });
  const value = text(KIB);
  const ref = await write("acc", value);

  const withS3 = accessor(backend);
  const withMemory = accessor(new MemoryStateBackend({ namespace: "bench" }));
  const storeOnly = accessor(undefined);
  await Promise.all([withS3.set("acc", value), withMemory.set("mem", value), storeOnly.set("plain", value)]);
  const accessorCases: Comparison[] = [
    {
      // A set writes a new version, switches the row to it, then deletes the version it replaced:
      // the baseline is the naive overwrite (one PutObject and one upsert) that cannot be atomic.
      name: "taskState.set 1 KiB, S3 backend",
      baseline: async () => {
        await rawPut("acc", value)();
        upsert.run("acc", ref, Date.now());
      },
      subject: () => withS3.set("acc", value),
    },
    {
      name: "taskState.get 1 KiB, S3 backend",
      baseline: async () => [select.get("acc"), await rawGet("acc")()],
      subject: () => withS3.get("acc"),
    },
    {
      name: "taskState.set 1 KiB, memory backend",
      baseline: async () => upsert.run("mem", value, Date.now()),
      subject: () => withMemory.set("mem", value),
    },
    {
      name: "taskState.set 1 KiB, no backend",
      baseline: async () => upsert.run("plain", value, Date.now()),
      subject: () => storeOnly.set("plain", value),
    },
    {
      name: "taskState.get 1 KiB, no backend",
      baseline: async () => select.get("plain"),
      subject: () => storeOnly.get("plain"),
    },
  ];
  printTable(
    "Accessors (SQLite store + backend) vs raw SDK + raw better-sqlite3",
    "raw",
    await compare(accessorCases, TIME_MS),
  );
  db.close();
  await store.close();
  await backend.close();
  s3.destroy();
} finally {
  await server.stop();
  await rm(workDir, { recursive: true, force: true });
}

await runApiServerBench();
