import { mkdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { startServerProcess } from "./child.js";
import { type S3TestServer, toS3TestServer } from "./server.js";
import { makeTempDir } from "./temp-dir.js";

/** Options of {@link startS3Server}. */
export interface StartS3ServerOptions {
  /**
   * Where s3rver keeps buckets and objects. Kept on stop.
   * @default a fresh temp dir, removed on stop
   */
  directory?: string;
}

// s3rver accepts only the key pair of its built-in dummy account.
const S3RVER_ACCESS_KEY_ID = "S3RVER";
const S3RVER_SECRET_ACCESS_KEY = "S3RVER";

// bin/ sits next to both src/ and dist/, so this resolves from the sources and the build alike.
const CHILD_SCRIPT = fileURLToPath(new URL("../bin/s3rver-child.cjs", import.meta.url));

/**
 * Starts s3rver in a child process on a free port of 127.0.0.1 and resolves once it answers.
 * The child runs with `--openssl-legacy-provider` (paged ListObjectsV2 fails with 500 without it)
 * and exits when this process does. Clients need path-style addressing and
 * `requestChecksumCalculation`/`responseChecksumValidation: "WHEN_REQUIRED"`.
 */
export async function startS3Server(options: StartS3ServerOptions = {}): Promise<S3TestServer> {
  const ownedDirectory = options.directory === undefined ? await makeTempDir("s3rver") : undefined;
  const directory = options.directory ?? (ownedDirectory as string);
  try {
    await mkdir(directory, { recursive: true });
    const child = await startServerProcess({
      name: "s3rver",
      command: process.execPath,
      args: ["--openssl-legacy-provider", CHILD_SCRIPT, directory, "127.0.0.1"],
    });
    return await toS3TestServer({
      name: "s3rver",
      process: child,
      region: "us-east-1",
      accessKeyId: S3RVER_ACCESS_KEY_ID,
      secretAccessKey: S3RVER_SECRET_ACCESS_KEY,
      directory,
      ownedDirectory,
    });
  } catch (error) {
    if (ownedDirectory) await rm(ownedDirectory, { recursive: true, force: true });
    throw error;
  }
}
