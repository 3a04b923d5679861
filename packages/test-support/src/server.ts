import { rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateBucketCommand, ListBucketsCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { ServerProcess } from "./child.js";

/** A running local S3-compatible server, with what a client needs to talk to it. */
export interface S3TestServer {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  port: number;
  /** The region clients should sign for. */
  region: string;
  /** Credentials the server accepts (fixed test values, not secrets). */
  accessKeyId: string;
  secretAccessKey: string;
  /** Where the server keeps its data (`""` for a server that keeps it in memory). */
  directory: string;
  /** Creates a bucket; resolves once it exists. */
  createBucket(name: string): Promise<void>;
  /** Stops the server, frees its port and removes its data directory when the helper created it. */
  stop(): Promise<void>;
}

/** What the start functions know once their process printed its port. */
export interface ServerParts {
  name: string;
  process: ServerProcess;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  directory: string;
  /** Removed on stop: the temp directory the helper created, if any. */
  ownedDirectory: string | undefined;
}

const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;

/**
 * A client configured for a local test server: path-style addressing, the server's test
 * credentials, and checksums only when required (s3rver stores aws-chunked framing otherwise).
 */
export function createTestS3Client(
  server: Pick<S3TestServer, "endpoint" | "region" | "accessKeyId" | "secretAccessKey">,
  overrides: Partial<S3ClientConfig> = {},
): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 1,
    ...overrides,
  });
}

/** Waits until the server answers, then wraps it as an {@link S3TestServer}. */
export async function toS3TestServer(parts: ServerParts): Promise<S3TestServer> {
  // A test run that exits without stop() still leaves no temp dir behind (the child is killed first).
  const { ownedDirectory } = parts;
  const removeOnExit = (): void => {
    if (ownedDirectory) rmSync(ownedDirectory, { recursive: true, force: true });
  };
  process.once("exit", removeOnExit);
  const stop = async (): Promise<void> => {
    process.off("exit", removeOnExit);
    await stopServer(parts);
  };
  const server: S3TestServer = {
    endpoint: `http://127.0.0.1:${parts.process.port}`,
    port: parts.process.port,
    region: parts.region,
    accessKeyId: parts.accessKeyId,
    secretAccessKey: parts.secretAccessKey,
    directory: parts.directory,
    createBucket: (name) => createBucket(server, name),
    stop,
  };
  try {
    await waitUntilAnswering(server, parts.name);
  } catch (error) {
    await stop();
    throw error;
  }
  return server;
}

async function createBucket(server: S3TestServer, name: string): Promise<void> {
  const client = createTestS3Client(server);
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    throw new Error(`Could not create bucket '${name}' on ${server.endpoint}: ${describe(error)}`, {
      cause: error,
    });
  } finally {
    client.destroy();
  }
}

async function waitUntilAnswering(server: S3TestServer, name: string): Promise<void> {
  const client = createTestS3Client(server);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      try {
        await client.send(new ListBucketsCommand({}));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(
            `${name} on ${server.endpoint} did not answer within ${READY_TIMEOUT_MS} ms: ${describe(error)}`,
            {
              cause: error,
            },
          );
        }
        await sleep(READY_POLL_MS);
      }
    }
  } finally {
    client.destroy();
  }
}

async function stopServer(parts: ServerParts): Promise<void> {
  await parts.process.stop();
  if (parts.ownedDirectory) await rm(parts.ownedDirectory, { recursive: true, force: true });
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
