// "Nothing lost": the value goes to S3 first and the metadata store records its reference second,
// so a dead object store can never leave the store pointing at an object that was not fully
// written. These tests kill a real S3-compatible server before and during a write, restart it on
// the same data, and check every recorded reference against what the bucket holds.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3StateBackend } from "@flowstate/backend-s3";
import { Config, TaskStateAccessor } from "@flowstate/sdk";
import { TaskScope } from "@flowstate/shared-state";
import { openSqliteStateStore, type StateStore } from "@flowstate/store";
import { type S3TestServer, startS3Server } from "@flowstate/test-support";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const MIB = 1024 * 1024;
const BUCKET = "state";
const scope = new TaskScope({ dagId: "crash", runId: "run", taskId: "upload" });
const conf = Config.fromString("", { env: {} });
const big = (seed: string) => seed.repeat(Math.ceil((48 * MIB) / seed.length)).slice(0, 48 * MIB);

let dir: string;
let server: S3TestServer;
let store: StateStore;
let tiId: string;
const backends: S3StateBackend[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "flowstate-crash-"));
  server = await startS3Server({ directory: join(dir, "s3") });
  await server.createBucket(BUCKET);
  process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
  store = await openSqliteStateStore({ path: join(dir, "airflow.db") });
  tiId = (await store.createTaskInstance({ dagId: "crash", runId: "run", taskId: "upload" })).id;
});

afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()));
  await server.stop();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A task-state accessor writing through an S3 backend pointed at the current server. */
function taskState(): TaskStateAccessor {
  const backend = new S3StateBackend({
    bucket: BUCKET,
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    checksums: "when_required",
    multipartThreshold: 5 * MIB,
    partSize: 5 * MIB,
    queueSize: 1,
  });
  backends.push(backend);
  return new TaskStateAccessor({ tiId, scope, client: store.client(), conf, backend });
}

/** Restarts the server on the same data directory (on a new port). */
async function restart(): Promise<void> {
  server = await startS3Server({ directory: join(dir, "s3") });
}

/** Every recorded row must resolve, through a fresh backend, to one complete value that was written. */
async function expectEveryRowResolves(written: Map<string, string[]>): Promise<void> {
  const reader = taskState();
  for (const row of await store.listTaskState({ dagId: "crash" })) {
    const value = await reader.get(row.key);
    expect(written.get(row.key)).toContain(value);
  }
}

describe("an S3 outage during taskState.set", () => {
  it("server down before the write: set fails with a typed error and nothing is recorded", async () => {
    const state = taskState();
    await server.stop();
    const failure = await state.set("checkpoint", "step_3").catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "FLOWSTATE_BACKEND", backend: "s3", operation: "serialize" });
    expect(String((failure as Error).message)).toMatch(/is the server running|cannot reach/i);
    expect(await store.listTaskState({ dagId: "crash" })).toEqual([]);
    await restart();
    expect(await taskState().get("checkpoint")).toBeUndefined();
  });

  it("server killed mid-upload of a new key: either no row, or a row whose object is complete", async () => {
    const state = taskState();
    const value = big("new-key-");
    const writing = state.set("checkpoint", value).then(
      () => "recorded",
      (error: unknown) => error,
    );
    await server.stop(); // while the multipart upload is in flight
    const outcome = await writing;
    await restart();
    const rows = await store.listTaskState({ dagId: "crash" });
    if (outcome === "recorded") {
      expect(rows).toHaveLength(1);
    } else {
      expect(outcome).toMatchObject({ code: "FLOWSTATE_BACKEND" });
      expect(rows).toEqual([]);
    }
    await expectEveryRowResolves(new Map([["checkpoint", [value]]]));
  });

  it("server killed mid-overwrite: the key reads back as the old or the new value, whole", async () => {
    const state = taskState();
    const before = big("old-value-");
    const after = big("new-value-");
    await state.set("checkpoint", before);
    const writing = state.set("checkpoint", after).catch(() => undefined);
    await server.stop();
    await writing;
    await restart();
    expect(await store.listTaskState({ dagId: "crash" })).toHaveLength(1);
    await expectEveryRowResolves(new Map([["checkpoint", [before, after]]]));
  });
});
