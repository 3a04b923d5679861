// Big values (BENCH_BIG_MB, default 256) on S3 (s3rver) and GCS (the firebase emulator): the
// backends' serialize/deserialize against the raw SDKs' own ways, each operation in a child
// process of its own (big-value-child.ts) so that its peak RSS growth is its own. Throughput
// target: ≥ 0.95× raw. Memory targets: `set` grows RSS by ≤ 64 MB whatever the size (the value is
// streamed in parts); `get` by ≤ 1.5× the value (the returned string itself is most of it).
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Upload } from "@aws-sdk/lib-storage";
import { GcsStateBackend } from "@flowstate/backend-gcs";
import { type GcsEmulator, startGcsEmulator } from "@flowstate/test-support";
import { Storage } from "@google-cloud/storage";
import type { BigValueJob, BigValueResult, GcsEndpoint, S3Endpoint } from "../big-value-job.js";
import { bigScope, bigText } from "../big-value-job.js";
import { describeTarget, meetsTarget } from "../compare.js";
import type { BenchContext } from "../context.js";
import { MIB } from "../context.js";
import { recordTable } from "../report.js";

const CHILD = fileURLToPath(new URL("../big-value-child.js", import.meta.url));
const THROUGHPUT_TARGET = { minRatio: 0.95 };
const SET_RSS_LIMIT = 64 * MIB;
const GET_RSS_FACTOR = 1.5;

interface CaseResult {
  name: string;
  op: "set" | "get";
  raw: BigValueResult[];
  flowstate: BigValueResult[];
}

/** Runs one job in a fresh child with `--expose-gc`; rejects when the child fails. */
function runChild(job: BigValueJob): Promise<BigValueResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [JSON.stringify(job)], {
      execArgv: ["--expose-gc"],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let result: BigValueResult | undefined;
    child.on("message", (message) => {
      result = message as BigValueResult;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0 && result !== undefined) resolve(result);
      else reject(new Error(`big-value child ${job.store} ${job.op} ${job.side} exited with ${code}`));
    });
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const mbPerSecond = (bytes: number, results: BigValueResult[]): number =>
  median(results.map((r) => bytes / MIB / (r.ms / 1000)));
// The worst run: a memory bound must hold every time, not on average.
const growth = (results: BigValueResult[]): number =>
  Math.max(...results.map((r) => r.peakRss - r.baselineRss));

export async function runBigValuesGroup({ server, s3: s3Client, backend }: BenchContext): Promise<void> {
  const bytes = Number(process.env.BENCH_BIG_MB ?? 256) * MIB;
  const runs = Number(process.env.BENCH_BIG_RUNS ?? 3);
  // BENCH_BIG_STORES=s3 or =gcs: one store only.
  const stores = new Set((process.env.BENCH_BIG_STORES ?? "s3,gcs").split(",").map((name) => name.trim()));
  const s3: S3Endpoint = {
    endpoint: server.endpoint,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    bucket: "bench",
  };
  const results: CaseResult[] = [];
  // Each side runs in turn, `runs` times, so that a burst of load from elsewhere hits both.
  const measure = async (
    name: string,
    op: "set" | "get",
    raw: BigValueJob,
    flowstate: BigValueJob,
  ): Promise<void> => {
    const result: CaseResult = { name, op, raw: [], flowstate: [] };
    for (let run = 0; run < runs; run += 1) {
      result.raw.push(await runChild(raw));
      result.flowstate.push(await runChild(flowstate));
      process.stderr.write(".");
    }
    results.push(result);
  };

  /** A store's set case (raw and flowstate write a new object) and get case (each reads its own, flowstate by `ref`). */
  const measureSetAndGet = async (
    label: string,
    where: Pick<BigValueJob, "bytes" | "s3" | "gcs" | "store">,
    ref: string,
  ): Promise<void> => {
    await measure(
      `${label} set`,
      "set",
      { ...where, op: "set", side: "raw", key: "big/raw-set" },
      { ...where, op: "set", side: "flowstate", key: "big-set" },
    );
    await measure(
      `${label} get`,
      "get",
      { ...where, op: "get", side: "raw", key: "big/raw-get" },
      { ...where, op: "get", side: "flowstate", key: "big-get", ref },
    );
  };

  const value = bigText(bytes);
  const common = { bytes, s3 };
  if (stores.has("s3")) await measureS3();
  if (stores.has("gcs")) await measureGcs();
  process.stderr.write("\n");
  printBigTable(bytes, runs, results);

  async function measureS3(): Promise<void> {
    // The objects the `get` cases read, written here (this process's memory is not measured).
    await new Upload({
      client: s3Client,
      params: { Bucket: "bench", Key: "big/raw-get", Body: Buffer.from(value) },
    }).done();
    const s3Ref = await backend.serializeTaskStateToRef({
      value,
      key: "big-get",
      tiId: "bench",
      scope: bigScope,
    });
    await measureSetAndGet("S3", { ...common, store: "s3" }, s3Ref);
  }

  async function measureGcs(): Promise<void> {
    const emulator: GcsEmulator = await startGcsEmulator();
    try {
      const gcs: GcsEndpoint = {
        apiEndpoint: emulator.apiEndpoint,
        projectId: emulator.projectId,
        bucket: "bench",
      };
      const storage = new Storage({ ...gcs, useAuthWithCustomEndpoint: false });
      await storage.bucket("bench").file("big/raw-get").save(Buffer.from(value), { resumable: true });
      const gcsBackend = new GcsStateBackend({
        bucket: "bench",
        apiEndpoint: gcs.apiEndpoint,
        projectId: gcs.projectId,
      });
      const gcsRef = await gcsBackend.serializeTaskStateToRef({
        value,
        key: "big-get",
        tiId: "bench",
        scope: bigScope,
      });
      await gcsBackend.close();
      await measureSetAndGet("GCS", { ...common, gcs, store: "gcs" }, gcsRef);
    } finally {
      await emulator.stop();
    }
  }
}

function printBigTable(bytes: number, runs: number, results: CaseResult[]): void {
  const title = `Big values, ${bytes / MIB} MB (median MB/s of ${runs} runs; RSS growth: worst run, each in its own process)`;
  const columns = [
    "case",
    "raw MB/s",
    "flowstate MB/s",
    "ratio",
    "target",
    "",
    "raw RSS",
    "flowstate RSS",
    "target",
    "",
  ];
  const rows = results.map((r) => {
    const raw = mbPerSecond(bytes, r.raw);
    const ours = mbPerSecond(bytes, r.flowstate);
    const ratio = ours / raw;
    const limit = r.op === "set" ? SET_RSS_LIMIT : GET_RSS_FACTOR * bytes;
    const rss = growth(r.flowstate);
    return [
      r.name,
      raw.toFixed(1),
      ours.toFixed(1),
      `${ratio.toFixed(2)}x`,
      describeTarget(THROUGHPUT_TARGET),
      meetsTarget(ratio, THROUGHPUT_TARGET),
      `${(growth(r.raw) / MIB).toFixed(0)} MB`,
      `${(rss / MIB).toFixed(0)} MB`,
      `≤ ${(limit / MIB).toFixed(0)} MB`,
      rss <= limit ? "✓" : "✗",
    ];
  });
  const widths = [10, 10, 16, 8, 10, 2, 10, 15, 11, 2];
  const line = (cells: string[]) =>
    `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join("")}`;
  console.log(`\n${title}\n${[line(columns), ...rows.map(line)].join("\n")}`);
  recordTable({ title, columns, rows });
}
