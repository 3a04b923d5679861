// What every group of `pnpm bench` shares: one local s3rver with a `bench` bucket, a raw S3 client
// and an S3StateBackend on it, a work folder, and the measuring time per case.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { S3StateBackend } from "@flowstate/backend-s3";
import { TaskScope } from "@flowstate/shared-state";
import { createTestS3Client, type S3TestServer, startS3Server } from "@flowstate/test-support";

export const KIB = 1024;
export const MIB = 1024 * KIB;
/** A value of `bytes` characters (ASCII, so as many bytes). */
export const text = (bytes: number): string =>
  "flowstate-bench-".repeat(Math.ceil(bytes / 16)).slice(0, bytes);
export const benchScope = new TaskScope({ dagId: "bench", runId: "run", taskId: "task" });

/** The object name a bucket backend's reference (`<scheme>://<bucket>/<name>`) names. */
export function objectNameOf(ref: string, bucket: string): string {
  const start = ref.indexOf(`://${bucket}/`);
  if (start < 0) throw new Error(`${ref} is not a reference into bucket ${bucket}`);
  return ref.slice(start + bucket.length + 4);
}

export interface BenchContext {
  /** Measured time per case and side (tinybench `time`), from BENCH_TIME_MS (default 400). */
  timeMs: number;
  workDir: string;
  server: S3TestServer;
  /** A raw client with the backend's retry count (3 attempts). */
  s3: S3Client;
  backend: S3StateBackend;
}

/** Starts what the groups share, runs `body`, and stops it all. */
export async function withBenchContext(body: (context: BenchContext) => Promise<void>): Promise<void> {
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
    try {
      await body({ timeMs: Number(process.env.BENCH_TIME_MS ?? 400), workDir, server, s3, backend });
    } finally {
      await backend.close();
      s3.destroy();
    }
  } finally {
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
