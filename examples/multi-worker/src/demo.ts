// The orchestration: PostgreSQL, an S3-compatible server, two state API server processes on the
// one database, and four worker processes running a mapped task through the S3 backend. Only the
// parent holds the JWT secret: it creates each task instance and issues its token.
import { type ChildProcess, fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { issueTaskToken } from "@flowstate/api-server";
import {
  AssetStateAccessors,
  Config,
  resetWorkerStateBackendCache,
  type TaskInstanceInfo,
  TaskStateAccessor,
} from "@flowstate/sdk";
import { TaskScope } from "@flowstate/shared-state";
import { type AssetStateRow, openPostgresStateStore, type TaskStateRow } from "@flowstate/store";
import {
  createTestS3Client,
  type PostgresTestServer,
  type S3TestServer,
  startPostgresServer,
  startS3Server,
} from "@flowstate/test-support";
import { ASSET, type DoneReport, type Order, type Report } from "./protocol.js";

export const BUCKET = "flowstate-state";
export const PREFIX = "examples/multi-worker";
export const BACKEND = "@flowstate/backend-s3.S3StateBackend";
export const DAG = { dagId: "multi_worker", taskId: "process_partition" };
const PARTITIONS = 8;
// The AWS SDK warns that its 2027 releases need Node 22; a demo need not repeat that on every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const WORKERS = 4;
const FAILING_PARTITION = 3; // its first try crashes after step 2
const distDir = dirname(fileURLToPath(import.meta.url));
const exampleDir = dirname(distDir);

export interface ServerProcess {
  name: string;
  url: string;
  child: ChildProcess;
}
/** What is running while the workers work (tests inject faults through it). */
export interface Cluster {
  postgres: PostgresTestServer;
  s3: S3TestServer;
  servers: ServerProcess[];
}
export interface DemoOptions {
  /** Progress lines. @default nothing */
  log?: (line: string) => void;
  /** Called with each report of a worker as it arrives. */
  onReport?: (report: Report, cluster: Cluster) => void;
  /** Extra environment of the workers (FLOWSTATE_DEMO_STEPS, FLOWSTATE_DEMO_PACE_MS). */
  workerEnv?: Record<string, string>;
}
/** What the run left, for the report and the checks. */
export interface DemoResult {
  runId: string;
  servers: { name: string; url: string }[];
  reports: Report[];
  taskRows: TaskStateRow[];
  assetRows: AssetStateRow[];
  /** Every object in the bucket under the prefix: `s3://bucket/key` → size. */
  objects: Map<string, number>;
  /** The values the rows name, read back through the backend: `checkpoint[3]`, `watermark`. */
  values: Map<string, string | undefined>;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? (() => {});
  const stops: (() => Promise<unknown>)[] = [];
  try {
    log("starting PostgreSQL (a throwaway cluster) and an S3-compatible server (s3rver)");
    const started = await Promise.allSettled([startPostgresServer(), startS3Server()]);
    for (const one of started) if (one.status === "fulfilled") stops.push(() => one.value.stop());
    const [postgres, s3] = started.map((one) => {
      if (one.status === "rejected") throw one.reason;
      return one.value;
    }) as [PostgresTestServer, S3TestServer];
    await s3.createBucket(BUCKET);
    const secret = randomBytes(32).toString("hex"); // [api_auth] jwt_secret: servers and this parent only
    // The S3 backend reads the local server's test credentials from the environment (a worker's own).
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    });
    const backendEnv = {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      AIRFLOW__WORKERS__STATE_BACKEND: BACKEND,
      AIRFLOW__WORKERS__STATE_BACKEND_KWARGS: JSON.stringify({
        endpoint: s3.endpoint,
        bucket: BUCKET,
        prefix: PREFIX,
        region: s3.region,
        forcePathStyle: true,
        checksums: "when_required", // s3rver needs it; real S3 does not
      }),
    };
    const conf = Config.fromString("", {
      baseDir: exampleDir,
      env: { ...process.env, ...backendEnv, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: postgres.url },
    });
    const store = await openPostgresStateStore({ url: postgres.url }); // creates the schema once
    stops.push(
      () => store.close(),
      () => resetWorkerStateBackendCache(),
    );
    await store.registerAsset(ASSET);

    log("starting 2 state API server processes on that database");
    const serverEnv = {
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: postgres.url,
      AIRFLOW__API_AUTH__JWT_SECRET: secret,
    };
    const servers: ServerProcess[] = [];
    for (const name of ["api-1", "api-2"]) {
      const server = await startServer(name, serverEnv);
      servers.push(server);
      stops.push(() => stopChild(server.child));
    }
    const cluster: Cluster = { postgres, s3, servers };

    log(
      `starting ${WORKERS} workers; ${PARTITIONS} mapped task instances, 2 per worker, each with its own token`,
    );
    const reports: Report[] = [];
    // Each task instance handed out, until its worker reports how the try ended (or dies).
    const pending = new Map<string, { w: number; ti: TaskInstanceInfo; resolve: (r: DoneReport) => void }>();
    const finish = (report: DoneReport) => {
      pending.get(report.tiId)?.resolve(report);
      pending.delete(report.tiId);
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => {
      const [primary, other] = w % 2 === 0 ? servers : [...servers].reverse();
      const child = fork(join(distDir, "worker.js"), [], {
        cwd: exampleDir,
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        env: {
          ...process.env,
          ...backendEnv,
          ...options.workerEnv,
          AIRFLOW__CORE__EXECUTION_API_SERVER_URL: primary?.url,
          FLOWSTATE_DEMO_FALLBACK_URLS: other?.url,
          FLOWSTATE_DEMO_WORKER: `worker-${w + 1}`,
        },
      });
      stops.push(() => stopChild(child));
      child.on("message", (report: Report) => {
        reports.push(report);
        options.onReport?.(report, cluster);
        if ("done" in report) finish(report);
      });
      child.on("exit", (code, signal) => {
        for (const { ti } of [...pending.values()].filter((p) => p.w === w)) {
          const { id: tiId, mapIndex = -1, tryNumber = 1 } = ti;
          const done = `worker exited (${signal ?? code})`;
          reports.push({ worker: `worker-${w + 1}`, tiId, mapIndex, tryNumber, done, saw: null, via: "" });
          finish(reports.at(-1) as DoneReport);
        }
      });
      return child;
    });
    const runOn = async (w: number, ti: TaskInstanceInfo, failAfterStep?: number) => {
      const token = await issueTaskToken({ secret, tiId: ti.id, inlets: [ASSET], ttlSeconds: 600 });
      const done = new Promise<DoneReport>((resolve) => pending.set(ti.id, { w, ti, resolve }));
      workers[w]?.send({ run: ti, token, ...(failAfterStep ? { failAfterStep } : {}) } satisfies Order);
      return done;
    };

    const runId = `manual__${new Date().toISOString()}`;
    const tis = await Promise.all(
      Array.from({ length: PARTITIONS }, (_, mapIndex) =>
        store.createTaskInstance({ ...DAG, runId, mapIndex }),
      ),
    );
    const firstTries = await Promise.all(
      tis.map((ti) => runOn(ti.mapIndex % WORKERS, ti, ti.mapIndex === FAILING_PARTITION ? 2 : undefined)),
    );
    // A failed try is retried as a new task instance of the same map index, with its own token,
    // on a worker that talks to the other API server.
    await Promise.all(
      firstTries
        .filter((report) => report.done.startsWith("failed"))
        .map(async ({ mapIndex, tryNumber }) => {
          const retry = await store.createTaskInstance({ ...DAG, runId, mapIndex, tryNumber: tryNumber + 1 });
          return runOn((mapIndex + 1) % WORKERS, retry);
        }),
    );
    for (const worker of workers) worker.send({ exit: true } satisfies Order);
    await Promise.all(workers.map((worker) => (worker.exitCode === null ? once(worker, "exit") : undefined)));

    const taskRows = await store.listTaskState({ dagId: DAG.dagId, runId });
    const assetRows = await store.listAssetState({ name: ASSET.name });
    const values = new Map<string, string | undefined>();
    const deps = { client: store.client(), conf };
    for (const ti of tis) {
      const scope = new TaskScope({ ...DAG, runId, mapIndex: ti.mapIndex });
      values.set(
        `checkpoint[${ti.mapIndex}]`,
        await new TaskStateAccessor({ ...deps, tiId: ti.id, scope }).get("checkpoint"),
      );
    }
    values.set("watermark", await new AssetStateAccessors([ASSET], deps).get(ASSET).get("watermark"));
    const objects = await listBucket(s3);
    return {
      runId,
      servers: servers.map(({ name, url }) => ({ name, url })),
      reports,
      taskRows,
      assetRows,
      objects,
      values,
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

async function listBucket(s3: S3TestServer): Promise<Map<string, number>> {
  const client = createTestS3Client(s3);
  const objects = new Map<string, number>();
  try {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}/`, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) objects.set(`s3://${BUCKET}/${object.Key}`, object.Size ?? 0);
      token = page.NextContinuationToken;
    } while (token);
  } finally {
    client.destroy();
  }
  return objects;
}

/** Starts `dist/api-server.js` and waits for its `{"port": N}` line. */
async function startServer(name: string, env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [join(distDir, "api-server.js")], {
    cwd: exampleDir,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`${name} exited (code ${code}) before listening`);
  });
  try {
    const [line] = (await Promise.race([once(lines, "line"), exited])) as [string];
    const { port } = JSON.parse(line) as { port: number };
    return { name, url: `http://127.0.0.1:${port}/execution`, child };
  } catch (error) {
    await stopChild(child);
    throw error;
  } finally {
    exited.catch(() => {});
    lines.close();
  }
}

/** SIGTERM, then SIGKILL after 3 s; resolves once the process is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const force = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited.finally(() => clearTimeout(force));
}
