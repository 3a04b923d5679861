import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, StateStoreError } from "@flowstate/shared-state";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteStateStore } from "../src/index.js";
import { CREATE_SCHEMA_VERSION, LATEST_SCHEMA_VERSION, MIGRATIONS } from "../src/sqlite/schema.js";
import { countRows, openSqliteTestStore, plain, TASK, tempDir } from "./helpers.js";

const NO_EXPIRY = { expiresAt: null };

/** Runs `fn` on a separate connection to the store's file: what another program would see. */
function withRawConnection<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

describe("the SQLite file", () => {
  it("creates parent folders, and is in WAL mode", async () => {
    const path = join(await tempDir(), "nested", "deeper", "metadata.db");
    const store = await openSqliteTestStore({ path });
    expect(store.location).toBe(path);
    expect((await stat(path)).isFile()).toBe(true);
    const mode = withRawConnection(path, (db) => db.pragma("journal_mode", { simple: true }));
    expect(mode).toBe("wal");
    const version = withRawConnection(path, (db) =>
      db.prepare("SELECT MAX(version) AS v FROM schema_version").get(),
    );
    expect(version).toEqual({ v: LATEST_SCHEMA_VERSION });
  });

  it("keeps everything across close and reopen, and opening twice is idempotent", async () => {
    const path = join(await tempDir(), "metadata.db");
    const first = await openSqliteStateStore({ path });
    const ti = await first.createTaskInstance(TASK);
    await first.registerAsset({ name: "orders", uri: "s3://orders" });
    await first.client().setTaskState(ti.id, "job_id", "app_1", NO_EXPIRY);
    await first.client().setAssetState({ name: "orders" }, "watermark", "w1");
    await first.close();
    await first.close(); // closing twice is a no-op

    const reopened = await openSqliteTestStore({ path });
    expect(await reopened.getTaskInstance(ti.id)).toEqual(ti);
    expect(await reopened.client().getTaskState(ti.id, "job_id")).toEqual(plain("app_1"));
    expect(await reopened.client().getAssetState({ uri: "s3://orders" }, "watermark")).toEqual(plain("w1"));
    expect(
      withRawConnection(path, (db) => db.prepare("SELECT COUNT(*) AS n FROM schema_version").get()),
    ).toEqual({
      n: LATEST_SCHEMA_VERSION,
    });
  });

  it("two stores on one file (like two worker processes) see each other's writes", async () => {
    const path = join(await tempDir(), "shared.db");
    const [workerA, workerB] = await Promise.all([
      openSqliteTestStore({ path }),
      openSqliteTestStore({ path }),
    ]);
    const ti = await workerA.createTaskInstance(TASK);
    expect(await workerB.getTaskInstance(ti.id)).toEqual(ti);
    await workerB.client().setTaskState(ti.id, "k", "from B", NO_EXPIRY);
    expect(await workerA.client().getTaskState(ti.id, "k")).toEqual(plain("from B"));
    const writes = Array.from({ length: 50 }, (_, i) =>
      (i % 2 ? workerA : workerB).client().setTaskState(ti.id, `key_${i}`, String(i), NO_EXPIRY),
    );
    await Promise.all(writes);
    expect(await workerA.listTaskState()).toHaveLength(51);
    await workerB.client().succeedTask(ti.id);
    expect((await workerA.getTaskInstance(ti.id))?.state).toBe("success");
  });

  it("a file that is not SQLite gives a clear StateStoreError and is left untouched", async () => {
    const path = join(await tempDir(), "notes.db");
    const text = "these are my notes, not a database\n".repeat(100);
    await writeFile(path, text);
    const open = openSqliteStateStore({ path });
    await expect(open).rejects.toThrow(StateStoreError);
    await expect(open).rejects.toThrow(`[flowstate] [store] open failed for ${path}: file is not a database`);
    await expect(open).rejects.toThrow(/not a SQLite database/);
    const error = await open.catch((e: unknown) => e);
    expect((error as Error).cause).toMatchObject({ code: "SQLITE_NOTADB" });
    expect((await stat(path)).size).toBe(text.length);
  });

  it("a path that is a folder gives a StateStoreError", async () => {
    const path = join(await tempDir(), "a-folder.db");
    await mkdir(path);
    await expect(openSqliteStateStore({ path })).rejects.toThrow(StateStoreError);
    await expect(openSqliteStateStore({ path })).rejects.toThrow(`open failed for ${path}`);
  });

  it("refuses a SQLite database with same-named tables that flowstate did not create", async () => {
    const path = join(await tempDir(), "airflow.db");
    withRawConnection(path, (db) => db.exec("CREATE TABLE task_instance (task_id TEXT, dag_id TEXT)"));
    const open = openSqliteStateStore({ path });
    await expect(open).rejects.toThrow(StateStoreError);
    await expect(open).rejects.toThrow(/table\(s\) task_instance that flowstate did not create/);
    const tables = withRawConnection(path, (db) =>
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all(),
    );
    expect(tables).toEqual([{ name: "task_instance" }]); // the transaction rolled back
  });

  it("refuses a database written by a newer schema version", async () => {
    const path = join(await tempDir(), "metadata.db");
    await (await openSqliteStateStore({ path })).close();
    withRawConnection(path, (db) => db.exec("INSERT INTO schema_version VALUES (99, 0)"));
    await expect(openSqliteStateStore({ path })).rejects.toThrow(
      new RegExp(`schema version 99, newer than the ${LATEST_SCHEMA_VERSION} `),
    );
  });

  it.each([
    ["an empty path", { path: "" }],
    ["':memory:'", { path: ":memory:" }],
    ["a non-boolean clearOnSuccess", { path: "x.db", clearOnSuccess: "yes" }],
    ["a non-function clock", { path: "x.db", now: new Date() }],
    ["a negative busy timeout", { path: "x.db", busyTimeoutMs: -1 }],
  ])("rejects %s with a ConfigError", async (_name, options) => {
    // biome-ignore lint/suspicious/noExplicitAny: feeding bad input on purpose.
    await expect(openSqliteStateStore(options as any)).rejects.toThrow(ConfigError);
  });

  it("a closed store refuses every call with a StateStoreError", async () => {
    const store = await openSqliteStateStore({ path: join(await tempDir(), "metadata.db") });
    const ti = await store.createTaskInstance(TASK);
    await store.close();
    await expect(store.client().getTaskState(ti.id, "k")).rejects.toThrow(
      /getTaskState failed for .*: the store is closed/,
    );
    await expect(store.listTaskState()).rejects.toThrow(StateStoreError);
  });
});

describe("failures inside SQLite", () => {
  it("succeedTask with clear_on_success is one transaction: a failed delete keeps the task unfinished", async () => {
    const store = await openSqliteTestStore({ clearOnSuccess: true });
    const ti = await store.createTaskInstance(TASK);
    await store.client().setTaskState(ti.id, "k", "v", NO_EXPIRY);
    // Fault injected on purpose: make the delete of task state rows fail.
    withRawConnection(store.location, (db) =>
      db.exec(
        "CREATE TRIGGER no_delete BEFORE DELETE ON task_state BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
      ),
    );
    const succeed = store.client().succeedTask(ti.id);
    await expect(succeed).rejects.toThrow(StateStoreError);
    await expect(succeed).rejects.toThrow(`succeedTask failed for ${store.location}: disk on fire`);
    expect((await store.getTaskInstance(ti.id))?.state).toBe("queued");
    expect(await countRows(store, "task_state")).toBe(1);
  });

  it("wraps a locked database in a StateStoreError that names the operation, file and cause", async () => {
    const store = await openSqliteTestStore({ busyTimeoutMs: 20 });
    const ti = await store.createTaskInstance(TASK);
    const blocker = new Database(store.location);
    try {
      blocker.exec("BEGIN EXCLUSIVE"); // another process holding the write lock
      const set = store.client().setTaskState(ti.id, "k", "v", NO_EXPIRY);
      const error = await set.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateStoreError);
      expect((error as Error).message).toContain(`setTaskState failed for ${store.location}`);
      expect((error as Error).message).toContain("busy timeout");
      expect((error as Error).cause).toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
    } finally {
      blocker.exec("ROLLBACK");
      blocker.close();
    }
    expect(await countRows(store, "task_state")).toBe(0);
  });
});

describe("schema migrations", () => {
  /** A store file as @flowstate/store wrote it at schema version 1, with one row of each kind. */
  function createVersion1File(path: string): void {
    withRawConnection(path, (db) => {
      db.exec(CREATE_SCHEMA_VERSION);
      db.exec(MIGRATIONS.find((migration) => migration.version === 1)?.sql ?? "");
      db.prepare("INSERT INTO schema_version (version, applied_at) VALUES (1, 0)").run();
      db.prepare(
        "INSERT INTO task_instance (id, dag_id, run_id, task_id, map_index, try_number, state, updated_at) VALUES ('ti-1', ?, ?, ?, -1, 1, 'running', 0)",
      ).run(TASK.dagId, TASK.runId, TASK.taskId);
      db.prepare(
        "INSERT INTO task_state (dag_id, run_id, task_id, map_index, key, value, expires_at, updated_at) VALUES (?, ?, ?, -1, 'job_id', 'app_1', NULL, 0)",
      ).run(TASK.dagId, TASK.runId, TASK.taskId);
      db.prepare("INSERT INTO asset (id, name, uri) VALUES (1, 'orders', 's3://orders')").run();
      db.prepare(
        "INSERT INTO asset_state (asset_id, key, value, updated_at) VALUES (1, 'wm', 'w1', 0)",
      ).run();
    });
  }

  it("migrates a version 1 file to the latest version on open; its rows read back as plain values", async () => {
    const path = join(await tempDir(), "v1.db");
    createVersion1File(path);
    const store = await openSqliteTestStore({ path });
    const versions = withRawConnection(path, (db) =>
      db.prepare("SELECT version FROM schema_version ORDER BY version").all(),
    );
    expect(versions).toEqual(MIGRATIONS.map(({ version }) => ({ version })));
    expect(LATEST_SCHEMA_VERSION).toBe(2);
    expect(await store.client().getTaskState("ti-1", "job_id")).toEqual(plain("app_1"));
    expect(await store.client().getAssetState({ uri: "s3://orders" }, "wm")).toEqual(plain("w1"));
    expect((await store.listTaskState())[0]).toMatchObject({ key: "job_id", value: "app_1", backend: null });
    expect((await store.listAssetState())[0]).toMatchObject({ key: "wm", value: "w1", backend: null });
    // The new column is written from now on.
    await store
      .client()
      .setTaskState("ti-1", "job_id", "s3://b/job", { expiresAt: null, backend: "pkg.Backend" });
    expect(await store.client().getTaskState("ti-1", "job_id")).toEqual({
      value: "s3://b/job",
      backend: "pkg.Backend",
    });
  });

  it("opening the migrated file again applies nothing twice", async () => {
    const path = join(await tempDir(), "v1.db");
    createVersion1File(path);
    await (await openSqliteStateStore({ path })).close();
    const store = await openSqliteTestStore({ path });
    expect(await store.client().getTaskState("ti-1", "job_id")).toEqual(plain("app_1"));
    const count = withRawConnection(path, (db) =>
      db.prepare("SELECT COUNT(*) AS n FROM schema_version").get(),
    );
    expect(count).toEqual({ n: MIGRATIONS.length });
  });
});
