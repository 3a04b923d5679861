// The task state accessors on the embedded SQLite store against raw better-sqlite3 statements on
// a file with the same pragmas (and, with the S3 backend, the raw AWS SDK calls beside them).
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { MemoryStateBackend } from "@flowstate/backend-memory";
import { Config, TaskStateAccessor } from "@flowstate/sdk";
import type { StateBackend } from "@flowstate/shared-state";
import { openSqliteStateStore } from "@flowstate/store";
import Database from "better-sqlite3";
import { type Comparison, compare, printTable } from "../compare.js";
import { type BenchContext, benchScope, KIB, text } from "../context.js";

/** The target for the accessors with no backend or the memory backend. */
const STORE_TARGET = { maxRatio: 1.3 };

export async function runAccessorsGroup({ s3, backend, workDir, timeMs }: BenchContext): Promise<void> {
  const conf = Config.fromString("", { env: {} });
  const rawPut = (key: string, body: string) =>
    s3.send(new PutObjectCommand({ Bucket: "bench", Key: `raw/${key}`, Body: body }));
  const rawGet = async (key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: "bench", Key: `raw/${key}` }))).Body?.transformToString();

  const db = new Database(join(workDir, "raw.db"));
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT, expires_at INTEGER)");
  const upsert = db.prepare(
    "INSERT INTO kv VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
  );
  const select = db.prepare("SELECT value FROM kv WHERE key = ?");
  const store = await openSqliteStateStore({ path: join(workDir, "airflow.db") });
  try {
    const ti = await store.createTaskInstance({ dagId: "bench", runId: "run", taskId: "task" });
    const accessor = (b: StateBackend | undefined) =>
      new TaskStateAccessor({ tiId: ti.id, scope: benchScope, client: store.client(), conf, backend: b });
    const value = text(KIB);
    await rawPut("acc", value);
    const ref = await backend.serializeTaskStateToRef({
      value,
      key: "acc",
      tiId: "bench",
      scope: benchScope,
    });

    const withS3 = accessor(backend);
    const withMemory = accessor(new MemoryStateBackend({ namespace: "bench" }));
    const storeOnly = accessor(undefined);
    await Promise.all([
      withS3.set("acc", value),
      withMemory.set("mem", value),
      storeOnly.set("plain", value),
    ]);
    const cases: Comparison[] = [
      {
        // A set writes a new version, switches the row to it, then deletes the version it replaced:
        // the baseline is the naive overwrite (one PutObject and one upsert) that cannot be atomic.
        name: "taskState.set 1 KiB, S3 backend",
        baseline: async () => {
          await rawPut("acc", value);
          upsert.run("acc", ref, Date.now());
        },
        subject: () => withS3.set("acc", value),
      },
      {
        name: "taskState.get 1 KiB, S3 backend",
        baseline: async () => [select.get("acc"), await rawGet("acc")],
        subject: () => withS3.get("acc"),
      },
      {
        name: "taskState.set 1 KiB, memory backend",
        baseline: async () => upsert.run("mem", value, Date.now()),
        subject: () => withMemory.set("mem", value),
        target: STORE_TARGET,
      },
      {
        name: "taskState.set 1 KiB, no backend",
        baseline: async () => upsert.run("plain", value, Date.now()),
        subject: () => storeOnly.set("plain", value),
        target: STORE_TARGET,
      },
      {
        name: "taskState.get 1 KiB, no backend",
        baseline: async () => select.get("plain"),
        subject: () => storeOnly.get("plain"),
        target: STORE_TARGET,
      },
    ];
    printTable(
      "Accessors (SQLite store + backend) vs raw SDK + raw better-sqlite3",
      "raw",
      await compare(cases, timeMs),
    );
  } finally {
    db.close();
    await store.close();
  }
}
