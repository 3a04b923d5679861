// PostgreSQL only: URLs and options, credentials kept out of messages, migrations under
// concurrent openers, upserts under concurrent writers, batched purges, and server failures.
import { ConfigError, StateStoreError } from "@flowstate/shared-state";
import { startPostgresServer } from "@flowstate/test-support";
import { describe, expect, it } from "vitest";
import { openPostgresStateStore, openStateStore, type StateStore } from "../src/index.js";
import { PURGE_BATCH_SIZE } from "../src/postgres/postgres-database.js";
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from "../src/postgres/schema.js";
import {
  configOf,
  countRows,
  databaseUrl,
  freshPostgresDatabase,
  openPostgresTestStore,
  plain,
  postgresUrlOf,
  TASK,
  tempDir,
  testClock,
  untilStoreWaitsOnLock,
  withPostgresClient,
} from "./helpers.js";

const NO_EXPIRY = { expiresAt: null };
const S3 = "@flowstate/backend-s3.S3StateBackend";

/** The password of a URL, to look for in what the store says. */
function passwordOf(url: string): string {
  return decodeURIComponent(new URL(url).password);
}

/** `url` with another scheme (SQLAlchemy spellings). */
function withScheme(url: string, scheme: string): string {
  return url.replace(/^[a-z0-9+]+:/, `${scheme}:`);
}

/** Everything an error would print: message, stack, cause chain, own fields. */
function everythingSaid(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(String(current), (current as Error)?.stack ?? "", JSON.stringify(current) ?? "");
    current = (current as { cause?: unknown })?.cause;
  }
  return parts.join("\n");
}

describe("PostgreSQL URLs and options", () => {
  it.each(["postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"])(
    "[database] sql_alchemy_conn = %s://… opens PostgreSQL; location has no credentials",
    async (scheme) => {
      const url = await freshPostgresDatabase();
      const store = await openStateStore(
        configOf({ database: { sql_alchemy_conn: withScheme(url, scheme) } }, await tempDir()),
      );
      try {
        const { host, pathname } = new URL(url);
        expect(store.location).toBe(`postgresql://${host}${pathname}`);
        expect(store.location).not.toContain(passwordOf(url));
        expect(store.location).not.toContain("postgres@");
        const ti = await store.createTaskInstance(TASK);
        await store.client().setTaskState(ti.id, "k", "v", NO_EXPIRY);
        expect(await store.client().getTaskState(ti.id, "k")).toEqual(plain("v"));
      } finally {
        await store.close();
      }
    },
  );

  it("reads [database] statement_timeout_ms: a statement stuck behind a lock fails with a clear StateStoreError", async () => {
    const url = await freshPostgresDatabase();
    const conf = configOf(
      { database: { sql_alchemy_conn: url, statement_timeout_ms: "300", sql_alchemy_pool_size: "2" } },
      await tempDir(),
    );
    const store = await openStateStore(conf);
    try {
      const ti = await store.createTaskInstance(TASK);
      await store.client().setTaskState(ti.id, "k", "old", NO_EXPIRY);
      await withPostgresClient(url, async (blocker) => {
        await blocker.query("BEGIN");
        await blocker.query("SELECT * FROM task_state FOR UPDATE");
        const error = await store
          .client()
          .setTaskState(ti.id, "k", "new", NO_EXPIRY)
          .catch((e: unknown) => e);
        await blocker.query("ROLLBACK");
        expect(error).toBeInstanceOf(StateStoreError);
        expect((error as Error).message).toContain(`setTaskState failed for ${store.location}`);
        expect((error as Error).message).toMatch(/statement timeout/);
        expect((error as Error).cause).toMatchObject({ code: "57014" });
      });
      expect(await store.client().getTaskState(ti.id, "k")).toEqual(plain("old"));
    } finally {
      await store.close();
    }
  });

  it.each([
    ["a pool size of 0", { sql_alchemy_pool_size: "0" }, /sql_alchemy_pool_size must be an integer ≥ 1/],
    ["a fractional pool size", { sql_alchemy_pool_size: "1.5" }, /sql_alchemy_pool_size is not an integer/],
    [
      "a negative statement timeout",
      { statement_timeout_ms: "-1" },
      /statement_timeout_ms must be an integer ≥ 0/,
    ],
  ])("refuses %s with a ConfigError", async (_name, extra, message) => {
    const conf = configOf(
      { database: { sql_alchemy_conn: "postgresql://u:hunter2@127.0.0.1:1/db", ...extra } },
      await tempDir(),
    );
    const error = await openStateStore(conf).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect(everythingSaid(error)).not.toContain("hunter2");
  });

  it("refuses an unparsable PostgreSQL URL in the config with a ConfigError naming the key, not the password", async () => {
    const conf = configOf(
      { database: { sql_alchemy_conn: "postgres://u:hunter2@[bad/db" } },
      await tempDir(),
    );
    const error = await openStateStore(conf).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ section: "database", key: "sql_alchemy_conn", value: undefined });
    expect((error as Error).message).toMatch(
      /\[database\] sql_alchemy_conn is a PostgreSQL URL that cannot be parsed/,
    );
    expect(everythingSaid(error)).not.toContain("hunter2");
  });

  it.each([
    ["an empty url", { url: "" }],
    ["a sqlite url", { url: "sqlite:///x.db" }],
    ["a mysql url with a password", { url: "mysql://u:hunter2@h/db" }],
    ["an unparsable url", { url: "postgresql://u:p@ss@[bad/db" }],
    ["a pool size of 0", { url: "postgresql://h/db", poolSize: 0 }],
    ["a negative statement timeout", { url: "postgresql://h/db", statementTimeoutMs: -5 }],
    ["a non-boolean clearOnSuccess", { url: "postgresql://h/db", clearOnSuccess: "yes" }],
  ])(
    "openPostgresStateStore rejects %s with a ConfigError that shows no password",
    async (_name, options) => {
      // biome-ignore lint/suspicious/noExplicitAny: feeding bad input on purpose.
      const error = await openPostgresStateStore(options as any).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(everythingSaid(error)).not.toContain("hunter2");
    },
  );
});

describe("PostgreSQL failures say what to do and never show the password", () => {
  it("a wrong password", async () => {
    const url = new URL(await freshPostgresDatabase());
    url.password = "wrong-secret-123";
    const error = await openPostgresStateStore({ url: url.toString() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    const message = (error as Error).message;
    expect(message).toContain(`[flowstate] [store] open failed for postgresql://${url.host}${url.pathname}:`);
    expect(message).toContain("The server refused the password");
    expect((error as Error).cause).toMatchObject({ code: "28P01" });
    expect(everythingSaid(error)).not.toContain("wrong-secret-123");
  });

  it("a database that does not exist", async () => {
    const url = databaseUrl("no_such_database");
    const error = await openPostgresStateStore({ url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as Error).message).toContain("The database does not exist");
    expect(everythingSaid(error)).not.toContain(passwordOf(url));
  });

  it("nothing listening: ECONNREFUSED", async () => {
    const error = await openPostgresStateStore({ url: "postgresql://flow:hunter2@127.0.0.1:1/db" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as Error).message).toContain("open failed for postgresql://127.0.0.1:1/db");
    expect((error as Error).message).toContain("Check that PostgreSQL is running");
    expect(everythingSaid(error)).not.toContain("hunter2");
  });

  it("a server stopped under an open store: every call is a clear StateStoreError, nothing hangs", async () => {
    const server = await startPostgresServer();
    let store: StateStore | undefined;
    try {
      store = await openPostgresStateStore({ url: server.url, connectTimeoutMs: 2000 });
      const ti = await store.createTaskInstance(TASK);
      await store.client().setTaskState(ti.id, "k", "v", NO_EXPIRY);
      await server.stop();
      for (const call of [
        () => store?.client().getTaskState(ti.id, "k"),
        () => store?.client().setTaskState(ti.id, "k", "w", NO_EXPIRY),
        () => store?.listTaskState(),
      ]) {
        const error = await Promise.resolve(call()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StateStoreError);
        expect((error as Error).message).toMatch(/failed for postgresql:\/\/127\.0\.0\.1:\d+\/postgres: /);
        expect((error as Error).message).toMatch(
          /shut the connection down|closed the connection|Check that PostgreSQL is running|Retry/,
        );
        expect(everythingSaid(error)).not.toContain(server.password);
      }
    } finally {
      await store?.close().catch(() => {});
      await server.stop();
    }
  });
});

describe("PostgreSQL schema", () => {
  it("four processes opening a fresh database at once apply each migration exactly once", async () => {
    const url = await freshPostgresDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresTestStore({ url })));
    const versions = await withPostgresClient(
      url,
      async (client) => (await client.query("SELECT version FROM schema_version ORDER BY version")).rows,
    );
    expect(versions).toEqual(MIGRATIONS.map(({ version }) => ({ version })));
    const ti = await stores[0]?.createTaskInstance(TASK);
    expect(await stores[3]?.getTaskInstance(ti?.id ?? "")).toEqual(ti);
  });

  it("keeps everything across close and reopen; two stores see each other's writes", async () => {
    const url = await freshPostgresDatabase();
    const first = await openPostgresStateStore({ url });
    const ti = await first.createTaskInstance(TASK);
    await first.registerAsset({ name: "orders", uri: "s3://orders" });
    await first.client().setTaskState(ti.id, "job_id", "app_1", NO_EXPIRY);
    await first.client().setAssetState({ name: "orders" }, "watermark", "w1");
    await first.close();
    await first.close();
    const [a, b] = await Promise.all([openPostgresTestStore({ url }), openPostgresTestStore({ url })]);
    expect(await a?.client().getTaskState(ti.id, "job_id")).toEqual(plain("app_1"));
    expect(await b?.client().getAssetState({ uri: "s3://orders" }, "watermark")).toEqual(plain("w1"));
    await b?.client().setTaskState(ti.id, "k", "from B", NO_EXPIRY);
    expect(await a?.client().getTaskState(ti.id, "k")).toEqual(plain("from B"));
    expect(await countRows(a as StateStore, "schema_version")).toBe(LATEST_SCHEMA_VERSION);
  });

  it("refuses a database with same-named tables that flowstate did not create, and changes nothing", async () => {
    const url = await freshPostgresDatabase();
    await withPostgresClient(url, (client) =>
      client.query("CREATE TABLE task_instance (task_id TEXT, dag_id TEXT)"),
    );
    const error = await openPostgresStateStore({ url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as Error).message).toMatch(/table\(s\) task_instance that flowstate did not create/);
    const tables = await withPostgresClient(
      url,
      async (client) =>
        (
          await client.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
          )
        ).rows,
    );
    expect(tables).toEqual([{ table_name: "task_instance" }]); // the transaction rolled back
  });

  it("refuses a database written by a newer schema version", async () => {
    const url = await freshPostgresDatabase();
    await (await openPostgresStateStore({ url })).close();
    await withPostgresClient(url, (client) => client.query("INSERT INTO schema_version VALUES (99, 0)"));
    await expect(openPostgresStateStore({ url })).rejects.toThrow(
      new RegExp(`schema version 99, newer than the ${LATEST_SCHEMA_VERSION} `),
    );
  });

  it("migrates a version 1 database; its rows read back as plain values", async () => {
    const url = await freshPostgresDatabase();
    await withPostgresClient(url, async (client) => {
      await client.query(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, applied_at BIGINT NOT NULL)",
      );
      await client.query(MIGRATIONS.find((m) => m.version === 1)?.sql ?? "");
      await client.query("INSERT INTO schema_version VALUES (1, 0)");
      await client.query("INSERT INTO task_instance VALUES ('ti-1', $1, $2, $3, -1, 1, 'running', 0)", [
        TASK.dagId,
        TASK.runId,
        TASK.taskId,
      ]);
      await client.query(
        "INSERT INTO task_state (dag_id, run_id, task_id, map_index, key, value, expires_at, updated_at) VALUES ($1, $2, $3, -1, 'job_id', convert_to('app_1', 'UTF8'), NULL, 0)",
        [TASK.dagId, TASK.runId, TASK.taskId],
      );
    });
    const store = await openPostgresTestStore({ url });
    expect(await store.client().getTaskState("ti-1", "job_id")).toEqual(plain("app_1"));
    expect(await countRows(store, "schema_version")).toBe(MIGRATIONS.length);
  });

  it("a closed store refuses every call with a StateStoreError", async () => {
    const store = await openPostgresStateStore({ url: await freshPostgresDatabase() });
    await store.close();
    await expect(store.listTaskState()).rejects.toThrow(/listTaskState failed for .*: the store is closed/);
  });
});

describe("PostgreSQL writes under concurrency", () => {
  /**
   * Writers on one key, each on its own pool (like separate worker processes): every value
   * written is handed back exactly once — as the row a later set replaced, as the row a delete
   * removed, or as what is left at the end — and none twice.
   */
  async function everyValueAccountedFor(
    write: (store: StateStore, value: string) => Promise<{ value: string } | undefined>,
    remove: (store: StateStore) => Promise<{ value: string } | undefined>,
    read: (store: StateStore) => Promise<{ value: string } | undefined>,
    stores: StateStore[],
  ): Promise<void> {
    const WRITERS = 6;
    const WRITES = 25;
    const handedBack: string[] = [];
    const written: string[] = [];
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        const store = stores[w % stores.length] as StateStore;
        for (let i = 0; i < WRITES; i++) {
          const value = `w${w}-${i}`;
          written.push(value);
          const replaced = await write(store, value);
          if (replaced) handedBack.push(replaced.value);
          if (w === 0 && i % 5 === 4) {
            const removed = await remove(store);
            if (removed) handedBack.push(removed.value);
          }
        }
      }),
    );
    const left = await read(stores[0] as StateStore);
    if (left) handedBack.push(left.value);
    expect(new Set(handedBack).size).toBe(handedBack.length); // none twice
    expect([...handedBack].sort()).toEqual([...written].sort()); // every one once
  }

  it("task state: set returns exactly the row it replaced", async () => {
    const url = await freshPostgresDatabase();
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresTestStore({ url, poolSize: 3 })));
    const ti = await stores[0]?.createTaskInstance(TASK);
    const id = ti?.id ?? "";
    await everyValueAccountedFor(
      (store, value) => store.client().setTaskState(id, "k", value, { expiresAt: null, backend: S3 }),
      (store) => store.client().deleteTaskState(id, "k"),
      (store) => store.client().getTaskState(id, "k"),
      stores,
    );
  });

  it("asset state: set returns exactly the row it replaced", async () => {
    const url = await freshPostgresDatabase();
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresTestStore({ url, poolSize: 3 })));
    await stores[0]?.registerAsset({ name: "orders", uri: "s3://orders" });
    await everyValueAccountedFor(
      (store, value) => store.client().setAssetState({ name: "orders" }, "wm", value, { backend: S3 }),
      (store) => store.client().deleteAssetState({ uri: "s3://orders" }, "wm"),
      (store) => store.client().getAssetState({ name: "orders" }, "wm"),
      stores,
    );
  });

  /**
   * The first-insert race of the single-statement write: writers on separate pools set a key that
   * does not exist yet, all at once. Exactly one inserts (replaces nothing); every other gets back
   * exactly the row it replaced, and what is left is the one value nobody replaced.
   */
  async function firstWritesAccountedFor(
    write: (store: StateStore, key: string, value: string) => Promise<{ value: string } | undefined>,
    read: (store: StateStore, key: string) => Promise<{ value: string } | undefined>,
    stores: StateStore[],
  ): Promise<void> {
    const WRITERS = 8;
    for (let round = 0; round < 15; round++) {
      const key = `first-${round}`;
      const written = Array.from({ length: WRITERS }, (_, w) => `r${round}-w${w}`);
      const replaced = await Promise.all(
        written.map((value, w) => write(stores[w % stores.length] as StateStore, key, value)),
      );
      expect(replaced.filter((row) => row === undefined)).toHaveLength(1); // one insert
      const handedBack = replaced.flatMap((row) => (row ? [row.value] : []));
      const left = await read(stores[0] as StateStore, key);
      if (left) handedBack.push(left.value);
      expect([...handedBack].sort()).toEqual([...written].sort()); // each value once
    }
  }

  it("task state: concurrent first writes of a key insert once and hand back every other value once", async () => {
    const url = await freshPostgresDatabase();
    const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresTestStore({ url, poolSize: 2 })));
    const ti = await stores[0]?.createTaskInstance(TASK);
    const id = ti?.id ?? "";
    await firstWritesAccountedFor(
      (store, key, value) => store.client().setTaskState(id, key, value, { expiresAt: null, backend: S3 }),
      (store, key) => store.client().getTaskState(id, key),
      stores,
    );
  });

  it("asset state: concurrent first writes of a key insert once and hand back every other value once", async () => {
    const url = await freshPostgresDatabase();
    const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresTestStore({ url, poolSize: 2 })));
    await stores[0]?.registerAsset({ name: "orders", uri: "s3://orders" });
    await firstWritesAccountedFor(
      (store, key, value) => store.client().setAssetState({ name: "orders" }, key, value, { backend: S3 }),
      (store, key) => store.client().getAssetState({ uri: "s3://orders" }, key),
      stores,
    );
  });

  it("a set waits for a writer holding the row and hands back that writer's value, not the one it first saw", async () => {
    const url = await freshPostgresDatabase();
    const store = await openPostgresTestStore({ url });
    try {
      const ti = await store.createTaskInstance(TASK);
      await store.client().setTaskState(ti.id, "k", "s3://b/v1", { expiresAt: null, backend: S3 });
      await withPostgresClient(url, async (other) => {
        // Another writer changes the row and holds it: the set's snapshot still shows v1.
        await other.query("BEGIN");
        await other.query("UPDATE task_state SET value = convert_to('s3://b/v2', 'UTF8') WHERE key = 'k'");
        const set = store.client().setTaskState(ti.id, "k", "s3://b/v3", { expiresAt: null, backend: S3 });
        await untilStoreWaitsOnLock(other); // the set's snapshot shows v1; it waits on the row
        await other.query("COMMIT");
        expect(await set).toEqual({ value: "s3://b/v2", backend: S3 });
      });
      expect(await store.client().getTaskState(ti.id, "k")).toEqual({ value: "s3://b/v3", backend: S3 });
    } finally {
      await store.close();
    }
  });

  it("a set waits for a concurrent delete of the row and then inserts, replacing nothing", async () => {
    const url = await freshPostgresDatabase();
    const store = await openPostgresTestStore({ url });
    try {
      const ti = await store.createTaskInstance(TASK);
      await store.client().setTaskState(ti.id, "k", "s3://b/v1", { expiresAt: null, backend: S3 });
      await withPostgresClient(url, async (other) => {
        await other.query("BEGIN");
        await other.query("DELETE FROM task_state WHERE key = 'k'");
        const set = store.client().setTaskState(ti.id, "k", "s3://b/v2", { expiresAt: null, backend: S3 });
        await untilStoreWaitsOnLock(other);
        await other.query("COMMIT");
        expect(await set).toBeUndefined(); // the delete handed v1 back, not this set
      });
      expect(await store.client().getTaskState(ti.id, "k")).toEqual({ value: "s3://b/v2", backend: S3 });
    } finally {
      await store.close();
    }
  });

  it("a first set waits for a concurrent first insert of the key and hands back its value", async () => {
    const url = await freshPostgresDatabase();
    const store = await openPostgresTestStore({ url });
    try {
      const ti = await store.createTaskInstance(TASK);
      await withPostgresClient(url, async (other) => {
        await other.query("BEGIN");
        await other.query(
          `INSERT INTO task_state (dag_id, run_id, task_id, map_index, key, value, backend, expires_at, updated_at)
           VALUES ($1, $2, $3, -1, 'k', convert_to('s3://b/theirs', 'UTF8'), $4, NULL, 0)`,
          [TASK.dagId, TASK.runId, TASK.taskId, S3],
        );
        const set = store.client().setTaskState(ti.id, "k", "s3://b/mine", { expiresAt: null, backend: S3 });
        await untilStoreWaitsOnLock(other); // the set waits on the unique index
        await other.query("COMMIT");
        expect(await set).toEqual({ value: "s3://b/theirs", backend: S3 });
      });
      expect(await store.client().getTaskState(ti.id, "k")).toEqual({ value: "s3://b/mine", backend: S3 });
    } finally {
      await store.close();
    }
  });

  it("set and get of a task instance that does not exist write nothing", async () => {
    const store = await openPostgresTestStore();
    await expect(store.client().setTaskState("no-such-ti", "k", "v", NO_EXPIRY)).rejects.toThrow(
      /task instance 'no-such-ti' does not exist/,
    );
    await expect(store.client().getTaskState("no-such-ti", "k")).rejects.toThrow(
      /task instance 'no-such-ti' does not exist/,
    );
    expect(await countRows(store, "task_state")).toBe(0);
  });

  it("concurrent registrations of one asset leave one asset", async () => {
    const url = await freshPostgresDatabase();
    const stores = await Promise.all([1, 2].map(() => openPostgresTestStore({ url, poolSize: 4 })));
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        stores[i % 2]?.registerAsset({ name: "orders", uri: "s3://orders" }),
      ),
    );
    expect(await countRows(stores[0] as StateStore, "asset")).toBe(1);
  });
});

describe("PostgreSQL transactions and batches", () => {
  it("purgeExpired deletes in batches and returns every removed row once", async () => {
    const clock = testClock("2030-01-01T00:00:00.000Z");
    const store = await openPostgresTestStore({ now: clock.now });
    const total = PURGE_BATCH_SIZE * 2 + 17;
    await withPostgresClient(postgresUrlOf(store), (client) =>
      client.query(
        `INSERT INTO task_state (dag_id, run_id, task_id, map_index, key, value, backend, expires_at, updated_at)
         SELECT 'etl', 'run', 'task', -1, 'k' || n, convert_to('v' || n, 'UTF8'), NULL,
                CASE WHEN n <= $1 THEN 1000 ELSE NULL END, 0
         FROM generate_series(1, $1 + 5) AS n`,
        [total],
      ),
    );
    const purged = await store.purgeExpired();
    expect(purged).toHaveLength(total);
    expect(new Set(purged.map((row) => row.key)).size).toBe(total);
    expect(purged[0]).toMatchObject({ dagId: "etl", mapIndex: -1, expiresAt: new Date(1000), backend: null });
    expect(await countRows(store, "task_state")).toBe(5);
    expect(await store.purgeExpired()).toEqual([]);
  });

  it("succeedTask with clear_on_success is one transaction: a failed delete keeps the task unfinished", async () => {
    const store = await openPostgresTestStore({ clearOnSuccess: true });
    const ti = await store.createTaskInstance(TASK);
    await store.client().setTaskState(ti.id, "k", "v", NO_EXPIRY);
    await failOn(store, "DELETE");
    const succeed = store.client().succeedTask(ti.id);
    await expect(succeed).rejects.toThrow(StateStoreError);
    await expect(succeed).rejects.toThrow(`succeedTask failed for ${store.location}: disk on fire`);
    expect((await store.getTaskInstance(ti.id))?.state).toBe("queued");
    expect(await countRows(store, "task_state")).toBe(1);
  });

  it("a set whose update fails inside the transaction leaves the previous row", async () => {
    const store = await openPostgresTestStore();
    const ti = await store.createTaskInstance(TASK);
    await store.client().setTaskState(ti.id, "k", "s3://b/old", { ...NO_EXPIRY, backend: S3 });
    await failOn(store, "UPDATE");
    const set = store.client().setTaskState(ti.id, "k", "s3://b/new", { ...NO_EXPIRY, backend: S3 });
    await expect(set).rejects.toThrow(`setTaskState failed for ${store.location}: disk on fire`);
    expect(await store.client().getTaskState(ti.id, "k")).toEqual({ value: "s3://b/old", backend: S3 });
    // The pool's connections are still usable after the rolled-back transaction.
    expect(await store.client().setTaskState(ti.id, "other", "v", NO_EXPIRY)).toBeUndefined();
  });
});

/** Fault injected on purpose: every `operation` on task_state raises 'disk on fire'. */
async function failOn(store: StateStore, operation: "UPDATE" | "DELETE"): Promise<void> {
  await withPostgresClient(postgresUrlOf(store), async (client) => {
    await client.query(
      "CREATE FUNCTION on_fire() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$ LANGUAGE plpgsql",
    );
    await client.query(
      `CREATE TRIGGER on_fire BEFORE ${operation} ON task_state FOR EACH ROW EXECUTE FUNCTION on_fire()`,
    );
  });
}
