// One big-value operation in a process of its own, so that its peak RSS is its own: forked by
// `groups/big-values.ts` with `--expose-gc`, handed a job as JSON in argv[2], it builds what it
// needs, takes an RSS baseline after a full GC, runs the operation once while sampling RSS every
// few milliseconds, and sends back the time and the peak growth.
import { resourceUsage } from "node:process";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { GcsStateBackend } from "@flowstate/backend-gcs";
import { S3StateBackend } from "@flowstate/backend-s3";
import { createTestS3Client } from "@flowstate/test-support";
import { Storage } from "@google-cloud/storage";
import {
  type BigValueJob,
  type BigValueResult,
  bigScope,
  bigText,
  type GcsEndpoint,
} from "./big-value-job.js";

const MIB = 1024 * 1024;

async function operation(job: BigValueJob): Promise<() => Promise<unknown>> {
  const { s3: server } = job;
  if (job.store === "s3") {
    const client = createTestS3Client(server, { maxAttempts: 3 });
    const backend = new S3StateBackend({
      bucket: server.bucket,
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      checksums: "when_required",
    });
    if (job.op === "set") {
      const value = bigText(job.bytes);
      if (job.side === "raw") {
        return () =>
          new Upload({
            client,
            params: { Bucket: server.bucket, Key: job.key, Body: Buffer.from(value) },
            partSize: 8 * MIB,
            queueSize: 4,
          }).done();
      }
      return () => backend.serializeTaskStateToRef({ value, key: job.key, tiId: "bench", scope: bigScope });
    }
    if (job.side === "raw") {
      return async () =>
        (
          await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: job.key }))
        ).Body?.transformToString();
    }
    return () => backend.deserializeTaskStateFromRef(job.ref as string, { key: job.key, scope: bigScope });
  }
  const gcs = job.gcs as GcsEndpoint;
  const storage = new Storage({
    apiEndpoint: gcs.apiEndpoint,
    projectId: gcs.projectId,
    useAuthWithCustomEndpoint: false,
  });
  const backend = new GcsStateBackend({
    bucket: gcs.bucket,
    apiEndpoint: gcs.apiEndpoint,
    projectId: gcs.projectId,
  });
  const file = storage.bucket(gcs.bucket).file(job.key);
  if (job.op === "set") {
    const value = bigText(job.bytes);
    if (job.side === "raw") return () => file.save(Buffer.from(value), { resumable: true });
    return () => backend.serializeTaskStateToRef({ value, key: job.key, tiId: "bench", scope: bigScope });
  }
  if (job.side === "raw") return async () => (await file.download())[0].toString("utf8");
  return () => backend.deserializeTaskStateFromRef(job.ref as string, { key: job.key, scope: bigScope });
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] as string) as BigValueJob;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run the big-value child with --expose-gc");
  const run = await operation(job);
  gc();
  gc();
  const baselineRss = process.memoryUsage.rss();
  const maxRssBefore = resourceUsage().maxRSS * 1024;
  let peakRss = baselineRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 2);
  const started = performance.now();
  const result = await run();
  const ms = performance.now() - started;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  // A synchronous copy (Buffer.from, a decode) may peak between samples: the kernel's max RSS
  // catches it, when it rose above what building the value took before the baseline.
  const maxRss = resourceUsage().maxRSS * 1024;
  if (maxRss > maxRssBefore) peakRss = Math.max(peakRss, maxRss);
  if (job.op === "get" && (typeof result !== "string" || result.length !== job.bytes)) {
    throw new Error(
      `read ${typeof result === "string" ? result.length : typeof result} characters, expected ${job.bytes}`,
    );
  }
  process.send?.({ ms, baselineRss, peakRss } satisfies BigValueResult);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
