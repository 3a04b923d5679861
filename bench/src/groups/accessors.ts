// The task state accessors on the embedded SQLite store against raw better-sqlite3 statements
// (and, with the S3 backend, the raw AWS SDK calls beside them).
//
// Like for like: the raw side opens the store's own file with the pragmas the store sets
// (`packages/store/src/sqlite/migrate.ts`, configureConnection) and writes the same row — the
// `task_state` table, the same columns, ids of the same length, the same expiry and updated_at
// — under a task of its own. SQLite skips writing a page whose bytes did not change, so each side
// writes what the other does: the same plain value, or with a backend a new reference per set
// (flowstate writes a new object version each time; the raw side a counter-named Map entry).
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { MemoryStateBackend } from "@flowstate/backend-memory";
import { Config, TaskStateAccessor } from "@flowstate/sdk";
import type { StateBackend } from "@flowstate/shared-state";
import { openSqliteStateStore } from "@flowstate/store";
import Database from "better-sqlite3";
import { type Comparison, type ComparisonResult, compare, printTable } from "../compare.js";
import { type BenchContext, benchScope, KIB, text } from "../context.js";

/** The target for the accessors with no backend or the memory backend. */
const STORE_TARGET = { maxRatio: 1.3 };
/** `[state_store] default_retention_days`: the expiry flowstate records with each set. */
const RETENTION_MS = 30 * 86_400_000;
const MEMORY_CLASS = "MemoryStateBackend";
/**
 * Rounds of every case (BENCH_ROUNDS, default 3); each case reports its median round by ratio.
 * Cases of a few microseconds swing with whatever else the machine runs between the baseline's
 * and the subject's turn; the middle of several side-by-side rounds is steadier than one.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

export async function runAccessorsGroup({ s3, backend, workDir, timeMs }: BenchContext): Promise<void> {
  const conf = Config.fromString("", { env: {} });
  const rawPut = (key: string, body: string) =>
    s3.send(new PutObjectCommand({ Bucket: "bench", Key: `raw/${key}`, Body: body }));
  const rawGet = async (key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: "bench", Key: `raw/${key}` }))).Body?.transformToString();

  const file = join(workDir, "airflow.db");
  const store = await openSqliteStateStore({ path: file });
  const raw = openRaw(file);
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
    // A value that differs on every call, as a task's next checkpoint would (same length).
    let counter = 0;
    const nextValue = () => `${value.slice(0, KIB - 12)}${String(counter++).padStart(12, "0")}`;
    await Promise.all([
      withS3.set("acc", value),
      withMemory.set("mem", value),
      storeOnly.set("plain", value),
      storeOnly.set("fresh", value),
    ]);
    // The raw side of a backend write: a new object under a counter name as long as the
    // reference flowstate records, the row switched to it, the previous object deleted — what
    // flowstate's atomic set does, without flowstate.
    const memoryRef = raw.select("mem", "run")?.value ?? "";
    const objectName = (n: number) => `${memoryRef.slice(0, -20)}${String(n).padStart(20, "0")}`;
    const objects = new Map<string, string>();
    let version = 0;
    const rawVersionedSet = () => {
      const name = objectName(++version);
      objects.set(name, value);
      raw.upsert("mem", name, MEMORY_CLASS);
      objects.delete(objectName(version - 1));
    };
    const rawVersionedGet = () => {
      const row = raw.select("mem");
      return row && objects.get(row.value);
    };
    rawVersionedSet();
    raw.upsert("plain", value, null);
    raw.upsert("fresh", value, null);
    const cases: Comparison[] = [
      {
        // A set writes a new version, switches the row to it, then deletes the version it replaced:
        // the baseline is the naive overwrite (one PutObject and one upsert) that cannot be atomic.
        name: "taskState.set 1 KiB, S3 backend",
        baseline: async () => {
          await rawPut("acc", value);
          raw.upsert("acc", ref, "S3StateBackend");
        },
        subject: () => withS3.set("acc", value),
      },
      {
        name: "taskState.get 1 KiB, S3 backend",
        baseline: async () => [raw.select("acc"), await rawGet("acc")],
        subject: () => withS3.get("acc"),
      },
      {
        name: "taskState.set 1 KiB, memory backend",
        baseline: async () => rawVersionedSet(),
        subject: () => withMemory.set("mem", value),
        target: STORE_TARGET,
      },
      {
        name: "taskState.get 1 KiB, memory backend",
        baseline: async () => rawVersionedGet(),
        subject: () => withMemory.get("mem"),
        target: STORE_TARGET,
      },
      {
        name: "taskState.set 1 KiB, no backend",
        baseline: async () => raw.upsert("plain", value, null),
        subject: () => storeOnly.set("plain", value),
        target: STORE_TARGET,
      },
      {
        name: "taskState.set new 1 KiB, no backend",
        baseline: async () => raw.upsert("fresh", nextValue(), null),
        subject: () => storeOnly.set("fresh", nextValue()),
        target: STORE_TARGET,
      },
      {
        name: "taskState.get 1 KiB, no backend",
        baseline: async () => raw.select("plain"),
        subject: () => storeOnly.get("plain"),
        target: STORE_TARGET,
      },
    ];
    const rounds: ComparisonResult[][] = [];
    for (let round = 0; round < ROUNDS; round += 1) rounds.push(await compare(cases, timeMs));
    printTable(
      `Accessors (SQLite store + backend) vs raw SDK + raw better-sqlite3 (same file, pragmas, row; median of ${ROUNDS} rounds)`,
      "raw",
      cases.map((_, index) => medianRound(rounds.map((results) => results[index] as ComparisonResult))),
    );
  } finally {
    raw.close();
    await store.close();
  }
}

/** What the raw side runs: one upsert or one select of a `task_state` row, prepared once. */
interface RawStatements {
  upsert(key: string, value: string, backend: string | null): void;
  /** The unexpired row of `key` of the raw side's task (or, with `runId`, of another run). */
  select(key: string, runId?: string): { value: string; backend: string | null } | undefined;
  close(): void;
}

/** A second connection to the store's file, set up as the store sets up its own. */
function openRaw(file: string): RawStatements {
  const db = new Database(file, { timeout: 5000 });
  db.pragma("busy_timeout = 5000");
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  // Its own run (an id as long as the accessors' "run"), so the two sides never share a row.
  const [dagId, runId, taskId, mapIndex] = ["bench", "raw", "task", -1] as const;
  const upsert = db.prepare(`
    INSERT INTO task_state (dag_id, run_id, task_id, map_index, key, value, backend, expires_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (dag_id, run_id, task_id, map_index, key) DO UPDATE SET
      value = excluded.value, backend = excluded.backend, expires_at = excluded.expires_at,
      updated_at = excluded.updated_at`);
  const select = db.prepare(`
    SELECT value, backend FROM task_state
    WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ? AND key = ?
      AND (expires_at IS NULL OR expires_at > ?)`);
  return {
    upsert: (key, value, backend) => {
      const now = Date.now();
      upsert.run(dagId, runId, taskId, mapIndex, key, value, backend, now + RETENTION_MS, now);
    },
    select: (key, run = runId) =>
      select.get(dagId, run, taskId, mapIndex, key, Date.now()) as
        | { value: string; backend: string | null }
        | undefined,
    close: () => db.close(),
  };
}

/** The round whose ratio is the median of the case's rounds. */
function medianRound(results: ComparisonResult[]): ComparisonResult {
  const sorted = [...results].sort((a, b) => a.ratio - b.ratio);
  return sorted[Math.floor((sorted.length - 1) / 2)] as ComparisonResult;
}
