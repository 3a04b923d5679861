import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import {
  createTestS3Client,
  findMotoServer,
  type S3TestServer,
  startMotoServer,
  startS3Server,
} from "../src/index.js";

/** Resolves when something can listen on `port` again, i.e. the server really let it go. */
function canListenOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

async function putGetAndPage(server: S3TestServer): Promise<void> {
  await server.createBucket("test-support-bucket");
  const client = createTestS3Client(server);
  try {
    for (const key of ["a", "b", "c"]) {
      await client.send(
        new PutObjectCommand({ Bucket: "test-support-bucket", Key: key, Body: `value ${key}` }),
      );
    }
    const got = await client.send(new GetObjectCommand({ Bucket: "test-support-bucket", Key: "b" }));
    expect(await got.Body?.transformToString()).toBe("value b");
    // A second page needs a continuation token: s3rver's fail with 500 without the legacy provider.
    const first = await client.send(new ListObjectsV2Command({ Bucket: "test-support-bucket", MaxKeys: 2 }));
    const second = await client.send(
      new ListObjectsV2Command({
        Bucket: "test-support-bucket",
        MaxKeys: 2,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect(second.Contents?.map((o) => o.Key)).toEqual(["c"]);
  } finally {
    client.destroy();
  }
}

describe("startS3Server", () => {
  it("serves buckets and paged listings, and stop frees the port and removes its temp dir", async () => {
    const server = await startS3Server();
    expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
    expect(await canListenOn(server.port)).toBe(false);
    await putGetAndPage(server);
    expect(existsSync(server.directory)).toBe(true);
    await server.stop();
    expect(await canListenOn(server.port)).toBe(true);
    expect(existsSync(server.directory)).toBe(false);
  });

  it("keeps a directory it was given, with the data in it", async () => {
    const directory = await mkdtemp(join(tmpdir(), "test-support-given-"));
    try {
      const server = await startS3Server({ directory });
      await server.createBucket("kept-bucket");
      await server.stop();
      expect(await readdir(directory)).toContain("kept-bucket");
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("starts two servers side by side on different ports", async () => {
    const [one, two] = await Promise.all([startS3Server(), startS3Server()]);
    try {
      expect(one.port).not.toBe(two.port);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });

  it("reports a bucket it could not create", async () => {
    const server = await startS3Server();
    try {
      await expect(server.createBucket("x")).rejects.toThrow(
        /Could not create bucket 'x'.*InvalidBucketName/,
      );
    } finally {
      await server.stop();
    }
  });
});

describe("the s3rver child process", () => {
  it("exits by itself when its parent goes away (its stdin reaches EOF)", async () => {
    const directory = await mkdtemp(join(tmpdir(), "test-support-orphan-"));
    const script = fileURLToPath(new URL("../bin/s3rver-child.cjs", import.meta.url));
    const child = spawn(process.execPath, ["--openssl-legacy-provider", script, directory], {
      stdio: "pipe",
    });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
      const { port } = JSON.parse(line) as { port: number };
      expect(await canListenOn(port)).toBe(false);
      const exited = once(child, "exit");
      child.stdin.end(); // what the OS does when the parent dies
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      expect(await canListenOn(port)).toBe(true);
    } finally {
      child.kill("SIGKILL");
      await rm(directory, { recursive: true, force: true });
    }
  });
});

const moto = findMotoServer();
const motoTitle = moto ? "startMotoServer" : "startMotoServer (skipped: moto_server was not found)";
describe.skipIf(!moto)(motoTitle, () => {
  it("serves buckets and paged listings, and stop frees the port", async () => {
    const server = await startMotoServer();
    await putGetAndPage(server);
    await server.stop();
    expect(await canListenOn(server.port)).toBe(true);
  });
});
