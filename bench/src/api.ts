// The "API server" group of `pnpm bench`: small task-state `set`/`get` per second through the state
// API server (fastify + HttpStateClient over loopback HTTP), with several concurrent clients, each
// with its own token for its own task instance, on the SQLite store and on a throwaway PostgreSQL.
// The baseline, measured in the same run, is the same operations with the same concurrency through
// the embedded client in-process (`store.client()`): the difference is what the HTTP hop costs.
//
// The clients run in one child process (the load generator), not in the server's process: the
// server is one Node thread, and clients in that same thread would take event-loop time from it
// (request building, undici, JSON), so the figures would show client + server on one core. With
// the load generator in a child, the server gets a core of its own, as it would on a real
// deployment (workers on other machines). Eight child processes, one per client, would only
// oversubscribe a 2-core machine: one child holding the eight clients (each with its own
// keep-alive connection pool) is the better fit. `BENCH_API_LOAD=inline` runs the clients in this
// process instead, for comparison.
//
// The server runs with `logger: false` (silent): the package cannot reach pino from here without a
// new dependency, and request logs would measure the log sink rather than the server.
//
// PostgreSQL runs with the durability a production operator keeps (fsync, synchronous_commit and
// full_page_writes on: every acknowledged set is on disk), not the test clusters' "all off". A
// separate, labelled row (`postgres-async`) runs with `synchronous_commit = off`: a commit then
// returns before its WAL flush (a crash may lose the last few hundred ms of acknowledged writes,
// never corrupt). The difference between the two rows is what the disk's commit latency costs.
//
// Environment: BENCH_API_MS (measured time per case, default 1000 ms; 5000–10000 for figures worth
// quoting), BENCH_API_CLIENTS (default 8), BENCH_API_LOAD (`child`, the default, or `inline`),
// BENCH_API_STORES (`sqlite,postgres,postgres-async` by default).
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { issueTaskToken, startApiServer } from "@flowstate/api-server";
import { HttpStateClient } from "@flowstate/sdk";
import type { StateClient } from "@flowstate/shared-state";
import { openPostgresStateStore, openSqliteStateStore, type StateStore } from "@flowstate/store";
import { startPostgresServer } from "@flowstate/test-support";
import { recordTable } from "./report.js";

const KIB = 1024;
const KEY = "bench-api";
/** The issue's target for `set` through the API server on a 2-core machine. */
const TARGET_SET_PER_S = 5_000;
const TARGET_P99_MS = 10;
const STORES = ["sqlite", "postgres", "postgres-async"] as const;
/** PostgreSQL's own defaults, which the test clusters turn off: what an operator runs with. */
const DURABLE = { fsync: "on", synchronous_commit: "on", full_page_writes: "on" } as const;

/** One closed-loop measurement: operations completed in the window, and their latencies. */
export interface LoadSample {
  ops: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Share of one core the process running the loop used in the window (1 = one core busy). */
  cpu: number;
}

interface LoadResult {
  set: LoadSample;
  get: LoadSample;
}

/** What the load generator needs: where the server is, and one token per task instance. */
interface LoadRequest {
  apiUrl: string;
  clients: { tiId: string; token: string }[];
  value: string;
  warmupMs: number;
  durationMs: number;
}

interface ApiRow {
  name: string;
  operation: "set" | "get";
  embedded: LoadSample;
  api: LoadSample;
  /** Share of one core the server's process used in the API case's window. */
  serverCpu: number;
  /** Whether the clients ran in the server's process (then `api.cpu` is the same process). */
  inline: boolean;
}

/** Runs the group and prints its table. */
export async function runApiServerBench(): Promise<void> {
  const durationMs = positiveInt("BENCH_API_MS", 1000);
  const clients = positiveInt("BENCH_API_CLIENTS", 8);
  const load = process.env.BENCH_API_LOAD ?? "child";
  if (load !== "child" && load !== "inline") throw new Error("BENCH_API_LOAD must be `child` or `inline`.");
  const stores = (process.env.BENCH_API_STORES ?? STORES.join(",")).split(",").map((s) => s.trim());
  if (stores.some((name) => !(STORES as readonly string[]).includes(name))) {
    throw new Error(`BENCH_API_STORES must list some of ${STORES.join(", ")}, comma-separated.`);
  }
  const warmupMs = Math.min(1000, Math.max(500, Math.round(durationMs / 5)));
  const rows: ApiRow[] = [];
  const workDir = await mkdtemp(join(tmpdir(), "flowstate-bench-api-"));
  try {
    if (stores.includes("sqlite")) {
      const store = await openSqliteStateStore({ path: join(workDir, "airflow.db") });
      try {
        rows.push(...(await measureStore("SQLite", store, { clients, load, warmupMs, durationMs })));
      } finally {
        await store.close();
      }
    }
    for (const [name, label, settings] of [
      ["postgres", "PostgreSQL", DURABLE],
      ["postgres-async", "PostgreSQL, sync_commit off", { ...DURABLE, synchronous_commit: "off" }],
    ] as const) {
      if (!stores.includes(name)) continue;
      const pg = await startPostgresServer({ settings });
      try {
        const store = await openPostgresStateStore({ url: pg.url });
        try {
          rows.push(...(await measureStore(label, store, { clients, load, warmupMs, durationMs })));
        } finally {
          await store.close();
        }
      } finally {
        await pg.stop();
      }
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  printLoadTable(
    `API server: 1 KiB plain value, ${clients} concurrent clients (${load === "child" ? "in a child process" : "in the server's process"}), ${durationMs} ms per case`,
    rows,
  );
}

async function measureStore(
  storeName: string,
  store: StateStore,
  options: { clients: number; load: "child" | "inline"; warmupMs: number; durationMs: number },
): Promise<ApiRow[]> {
  const { clients, load, warmupMs, durationMs } = options;
  const value = text(KIB);
  const tis = await Promise.all(
    Array.from({ length: clients }, (_, i) =>
      store.createTaskInstance({ dagId: "bench-api", runId: "run", taskId: `client-${i}` }),
    ),
  );
  // Baseline: the embedded client, same concurrency, same rows, in this process.
  const embedded = store.client();
  const embeddedResult = await runLoad(
    tis.map((ti) => ({ client: embedded, tiId: ti.id })),
    value,
    warmupMs,
    durationMs,
  );
  process.stderr.write(".");

  const jwtSecret = randomBytes(32).toString("hex");
  const server = await startApiServer({ store, port: 0, jwtSecret, logger: false });
  try {
    const request: LoadRequest = {
      apiUrl: server.apiUrl,
      clients: await Promise.all(
        tis.map(async (ti) => ({
          tiId: ti.id,
          token: await issueTaskToken({ secret: jwtSecret, tiId: ti.id }),
        })),
      ),
      value,
      warmupMs,
      durationMs,
    };
    const { result: apiResult, serverCpu } =
      load === "child"
        ? await runLoadInChild(request)
        : await runHttpLoad(request).then((result) => ({
            result,
            serverCpu: { set: result.set.cpu, get: result.get.cpu },
          }));
    process.stderr.write(".");
    return (["set", "get"] as const).map((operation) => ({
      name: `${operation} 1 KiB, ${storeName}`,
      operation,
      embedded: embeddedResult[operation],
      api: apiResult[operation],
      serverCpu: serverCpu[operation],
      inline: load === "inline",
    }));
  } finally {
    await server.close();
  }
}

/** The HTTP clients, each with its own token and connections; set, then get. */
async function runHttpLoad(request: LoadRequest, onEdge?: EdgeListener): Promise<LoadResult> {
  const clients = request.clients.map(({ tiId, token }) => ({
    tiId,
    client: new HttpStateClient({ url: request.apiUrl, token }),
  }));
  try {
    return await runLoad(clients, request.value, request.warmupMs, request.durationMs, onEdge);
  } finally {
    await Promise.all(clients.map(({ client }) => client.close()));
  }
}

/**
 * Runs the HTTP clients in a child process. The child marks the start and end of each measured
 * window over IPC, so this process's CPU in the window is the server's.
 */
function runLoadInChild(
  request: LoadRequest,
): Promise<{ result: LoadResult; serverCpu: Record<"set" | "get", number> }> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, FLOWSTATE_BENCH_API_LOADGEN: "1" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const serverCpu = { set: Number.NaN, get: Number.NaN };
  let windowStart = { cpu: process.cpuUsage(), wall: performance.now() };
  return new Promise<{ result: LoadResult; serverCpu: Record<"set" | "get", number> }>((resolve, reject) => {
    let result: LoadResult | undefined;
    child.once("error", reject);
    child.on("message", (message: ChildMessage) => {
      if ("edge" in message) {
        if (message.edge === "start") windowStart = { cpu: process.cpuUsage(), wall: performance.now() };
        else serverCpu[message.phase] = cpuShare(windowStart);
      } else if ("error" in message) {
        reject(new Error(`API bench load generator failed: ${message.error}`));
      } else result = message.result;
    });
    child.once("exit", (code, signal) => {
      if (result) return resolve({ result, serverCpu });
      const how = `code ${code}, signal ${signal}`;
      reject(new Error(`API bench load generator exited (${how}) without a result`));
    });
    child.send(request);
  }).finally(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
}

/**
 * Closed loop: every client sends its next request as soon as the last one answered. First a
 * warm-up (connections, JIT, the row exists), then `durationMs` measured; ops/s counts the
 * operations completed in the window. Deadlines are checked in the loop (no timers), so an embedded
 * client that answers through microtasks only cannot starve them.
 */
async function runLoad(
  clients: { client: StateClient; tiId: string }[],
  value: string,
  warmupMs: number,
  durationMs: number,
  onEdge?: EdgeListener,
): Promise<LoadResult> {
  const set = (client: StateClient, tiId: string) =>
    client.setTaskState(tiId, KEY, value, { expiresAt: null });
  const get = async (client: StateClient, tiId: string) => {
    const row = await client.getTaskState(tiId, KEY);
    if (row?.value.length !== value.length) throw new Error(`get ${KEY} answered ${JSON.stringify(row)}`);
  };
  return {
    set: await closedLoop(clients, set, warmupMs, durationMs, (edge) => onEdge?.("set", edge)),
    get: await closedLoop(clients, get, warmupMs, durationMs, (edge) => onEdge?.("get", edge)),
  };
}

async function closedLoop(
  clients: { client: StateClient; tiId: string }[],
  op: (client: StateClient, tiId: string) => Promise<unknown>,
  warmupMs: number,
  durationMs: number,
  onEdge: (edge: "start" | "end") => void,
): Promise<LoadSample> {
  const start = performance.now() + warmupMs;
  const end = start + durationMs;
  const latencies: number[] = [];
  let windowStart: { cpu: NodeJS.CpuUsage; wall: number } | undefined;
  let cpu = Number.NaN;
  await Promise.all(
    clients.map(async ({ client, tiId }) => {
      for (;;) {
        const before = performance.now();
        if (before >= end) {
          if (windowStart && Number.isNaN(cpu)) {
            cpu = cpuShare(windowStart);
            onEdge("end");
          }
          return;
        }
        await op(client, tiId);
        const after = performance.now();
        if (after >= start && after < end) {
          if (!windowStart) {
            windowStart = { cpu: process.cpuUsage(), wall: performance.now() };
            onEdge("start");
          }
          latencies.push(after - before);
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? NaN;
  return {
    ops: latencies.length,
    opsPerSecond: latencies.length / (durationMs / 1000),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    cpu,
  };
}

function printLoadTable(title: string, rows: ApiRow[]): void {
  console.log(`\n${title}`);
  console.log(
    `  (ops/s and p50 / p99 latency per operation; baseline = embedded store.client() in-process; target: set ≥ ${TARGET_SET_PER_S.toLocaleString("en-US")}/s with p99 ≤ ${TARGET_P99_MS} ms)`,
  );
  console.log(
    "  (srv CPU / load CPU: share of one core used by the server's / the clients' process in the window)",
  );
  const head = (label: string) =>
    `${`${label} ops/s`.padStart(16)}${"p50".padStart(10)}${"p99".padStart(10)}`;
  console.log(
    `  ${"case".padEnd(36)}${head("embedded")}${head("API")}${"srv CPU".padStart(9)}${"load CPU".padStart(10)}  target`,
  );
  const cells = (s: LoadSample) =>
    `${Math.round(s.opsPerSecond).toLocaleString("en-US").padStart(16)}${ms(s.p50Ms)}${ms(s.p99Ms)}`;
  for (const r of rows) {
    const met = r.api.opsPerSecond >= TARGET_SET_PER_S && r.api.p99Ms <= TARGET_P99_MS;
    const target = r.operation === "set" ? (met ? "✓" : "✗") : "(set only)";
    console.log(
      `  ${r.name.padEnd(36)}${cells(r.embedded)}${cells(r.api)}${percent(r.serverCpu).padStart(9)}${(r.inline ? "(same)" : percent(r.api.cpu)).padStart(10)}  ${target}`,
    );
  }
  recordLoadTable(title, rows);
}

/** The table for the run's report (RESULTS.md): the cells above, with the target and ✓/✗ apart. */
function recordLoadTable(title: string, rows: ApiRow[]): void {
  const sample = (s: LoadSample) => [
    `${Math.round(s.opsPerSecond).toLocaleString("en-US")}/s`,
    `${s.p50Ms.toFixed(2)} ms`,
    `${s.p99Ms.toFixed(2)} ms`,
  ];
  const target = `≥ ${TARGET_SET_PER_S.toLocaleString("en-US")}/s, p99 ≤ ${TARGET_P99_MS} ms`;
  recordTable({
    title,
    columns: [
      ...["case", "embedded ops/s", "embedded p50", "embedded p99", "API ops/s", "API p50", "API p99"],
      ...["srv CPU", "load CPU", "API ops/s, p99", "target", ""],
    ],
    rows: rows.map((r) => {
      const met = r.api.opsPerSecond >= TARGET_SET_PER_S && r.api.p99Ms <= TARGET_P99_MS;
      const [apiOps, , apiP99] = sample(r.api);
      return [
        r.name,
        ...sample(r.embedded),
        ...sample(r.api),
        percent(r.serverCpu),
        r.inline ? "(same)" : percent(r.api.cpu),
        `${apiOps}, ${apiP99}`,
        r.operation === "set" ? target : "-",
        r.operation === "set" ? (met ? "✓" : "✗") : "",
      ];
    }),
  });
}

const percent = (share: number) => `${Math.round(share * 100)}%`;
const ms = (value: number) => `${value.toFixed(2)} ms`.padStart(10);
const text = (bytes: number) => "flowstate-bench-".repeat(Math.ceil(bytes / 16)).slice(0, bytes);

type EdgeListener = (phase: "set" | "get", edge: "start" | "end") => void;
type ChildMessage =
  | { edge: "start" | "end"; phase: "set" | "get" }
  | { result: LoadResult }
  | { error: string | undefined };

/** Share of one core used since `since` (1 = one core fully busy). */
function cpuShare(since: { cpu: NodeJS.CpuUsage; wall: number }): number {
  const used = process.cpuUsage(since.cpu);
  return (used.user + used.system) / 1000 / (performance.now() - since.wall);
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer.`);
  return value;
}

// The load generator: this file forked with FLOWSTATE_BENCH_API_LOADGEN=1. It takes one request over
// IPC, runs set then get, sends the result back and exits.
if (
  process.env.FLOWSTATE_BENCH_API_LOADGEN === "1" &&
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(process.argv[1]).href
) {
  process.once("message", (request: LoadRequest) => {
    runHttpLoad(request, (phase, edge) => process.send?.({ edge, phase })).then(
      (result) => process.send?.({ result }, () => process.disconnect()),
      (error: unknown) =>
        process.send?.({ error: error instanceof Error ? error.stack : String(error) }, () =>
          process.disconnect(),
        ),
    );
  });
}
