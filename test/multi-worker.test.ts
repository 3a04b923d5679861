// Many workers, one metadata store: examples/multi-worker run as a user runs it, then the same
// cluster with one API server killed mid-run, PostgreSQL restarted under a server, and a token
// replayed for another task instance.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { issueTaskToken, startApiServer } from "@flowstate/api-server";
import { MemoryStateBackend } from "@flowstate/backend-memory";
import { Config, HttpStateClient, runTask, StateApiError } from "@flowstate/sdk";
import { openPostgresStateStore, type StateStore } from "@flowstate/store";
import { findPostgresBin, type PostgresTestServer, startPostgresServer } from "@flowstate/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoResult, runDemo } from "../examples/multi-worker/dist/demo.js";
import { problems } from "../examples/multi-worker/dist/report.js";
import { repoRoot, runNode } from "./support.js";

const exampleDir = join(repoRoot, "examples", "multi-worker");

describe("examples/multi-worker", () => {
  it("8 mapped task instances on 4 workers through 2 API servers: references in PostgreSQL, objects in the bucket, the retry resumes", async () => {
    const run = await runNode("dist/main.js", exampleDir, {});
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /worker-4 {2}partition 3 try 1 via api-2 {2}→ failed: simulated crash after step 2/,
    );
    expect(run.stdout).toMatch(
      /partition 3 try 2 via api-1 {2}→ success \(3 writes, resumed from "step 2\/4 of partition 3 \(worker-4, try 1\)"\)/,
    );
    expect(run.stdout.match(/→ success/g)).toHaveLength(8);
    expect(run.stdout).toContain(
      "metadata store (PostgreSQL): 9 rows, references only (backend @flowstate/backend-s3.S3StateBackend)",
    );
    for (let m = 0; m < 8; m++) {
      expect(run.stdout).toMatch(
        new RegExp(
          `checkpoint\\[${m}\\] {2}s3://flowstate-state/examples/multi-worker/task/multi_worker/manual__…/process_partition/${m}/checkpoint/\\S+`,
        ),
      );
    }
    expect(run.stdout).toMatch(
      /events:watermark {2}s3:\/\/flowstate-state\/examples\/multi-worker\/asset\/name\/events\/watermark\//,
    );
    expect(run.stdout).toContain(
      "bucket s3://flowstate-state/examples/multi-worker/: 9 objects, 0 named by no row",
    );
    expect(run.stdout).toContain("ok: every row names an object in the bucket");
  });

  it("exits non-zero, saying what is wrong, when the run does not check out; and leaves no process behind", async () => {
    // With no steps, the crash of partition 3 never happens: no retry, no checkpoints.
    const run = await runNode("dist/main.js", exampleDir, { FLOWSTATE_DEMO_STEPS: "0" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Something is wrong:");
    expect(run.stderr).toContain("- no try was retried");
    const left = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(left).not.toContain(join(exampleDir, "dist"));
  });
});

describe("multi-worker faults", () => {
  it("an API server killed (SIGKILL) mid-run: workers move to the other one; no write is lost or doubled", async () => {
    let killed = false;
    let writes = 0;
    const result: DemoResult = await runDemo({
      workerEnv: { FLOWSTATE_DEMO_STEPS: "6", FLOWSTATE_DEMO_PACE_MS: "40" },
      onReport: (report, cluster) => {
        if ("wrote" in report) writes += 1;
        if (!killed && writes >= 6) {
          killed = true;
          cluster.servers[0]?.child.kill("SIGKILL"); // api-1: the primary of worker-1 and worker-3
        }
      },
    });
    expect(killed).toBe(true);
    expect(problems(result)).toEqual([]);
    const tries = result.reports.filter((r) => "done" in r);
    const api2 = result.servers[1]?.url;
    // Workers whose primary was api-1 finished through api-2, including the retry of partition 3.
    for (const worker of ["worker-1", "worker-3"]) {
      expect(tries.filter((r) => r.worker === worker).every((r) => "via" in r && r.via === api2)).toBe(true);
    }
    // One row per key; each names an object, and holds the last value its task wrote.
    const keys = result.taskRows.map((row) => `${row.mapIndex}/${row.key}`);
    expect(new Set(keys).size).toBe(8);
    expect(keys).toHaveLength(8);
    expect(result.assetRows.map((row) => row.key)).toEqual(["watermark"]);
    for (const row of [...result.taskRows, ...result.assetRows])
      expect(result.objects.has(row.value)).toBe(true);
  });

  describe("one API server on PostgreSQL", () => {
    let postgres: PostgresTestServer;
    let store: StateStore;
    let server: Awaited<ReturnType<typeof startApiServer>>;
    const secret = "a-test-secret-of-at-least-32-bytes-long!";
    const dag = { dagId: "faults", runId: "manual__1", taskId: "t" };

    beforeAll(async () => {
      postgres = await startPostgresServer();
      store = await openPostgresStateStore({ url: postgres.url, connectTimeoutMs: 2000 });
      server = await startApiServer({ store, jwtSecret: secret, port: 0, logger: false });
    });
    afterAll(async () => {
      await server?.close();
      await store?.close();
      await postgres?.stop();
    });

    it("a token replayed for another task instance: 403, and nothing is written (no row, no object)", async () => {
      const a = await store.createTaskInstance({ ...dag, mapIndex: 0 });
      const b = await store.createTaskInstance({ ...dag, mapIndex: 1 });
      const tokenOfA = await issueTaskToken({ secret, tiId: a.id });
      const client = new HttpStateClient({ url: server.apiUrl, token: tokenOfA, retries: 0 });
      const backend = new MemoryStateBackend({ namespace: `replay-${Date.now()}` });
      try {
        await expect(client.setTaskState(b.id, "k", "v", { expiresAt: null })).rejects.toMatchObject({
          status: 403,
          reason: "forbidden",
        });
        const conf = Config.fromString("", { env: {} });
        const task = {
          execute: async ({ taskState }: { taskState: { set(k: string, v: string): Promise<void> } }) =>
            taskState.set("k", "v"),
        };
        const replayed = runTask({ task, ti: b, client, conf, backend, backendClassPath: "memory" });
        await expect(replayed).rejects.toBeInstanceOf(StateApiError);
        await expect(replayed).rejects.toMatchObject({ status: 403 });
        expect(await store.listTaskState({ ...dag, mapIndex: 1 })).toEqual([]);
        const objects = [];
        for await (const page of backend.listStateRefs()) objects.push(...page);
        expect(objects).toEqual([]);
        expect((await store.getTaskInstance(b.id))?.state).toBe("queued");
      } finally {
        await client.close();
      }
    });

    it("PostgreSQL restarted: calls during the outage fail with a clear error, later calls succeed", async () => {
      const ti = await store.createTaskInstance({ ...dag, mapIndex: 2 });
      const token = await issueTaskToken({ secret, tiId: ti.id });
      const impatient = new HttpStateClient({ url: server.apiUrl, token, retries: 0 });
      const patient = new HttpStateClient({ url: server.apiUrl, token });
      try {
        await patient.setTaskState(ti.id, "k", "before", { expiresAt: null });
        pgCtl(postgres, ["stop", "-m", "fast", "-w"]);
        const during = impatient.setTaskState(ti.id, "k", "during", { expiresAt: null });
        await expect(during).rejects.toMatchObject({ status: 503, reason: "store_unavailable" });
        await expect(during).rejects.toThrow(/answered 503 store_unavailable/);
        await expect(impatient.getTaskState(ti.id, "k")).rejects.toMatchObject({ status: 503 });
        pgCtl(postgres, [
          ...["start", "-w", "-t", "30", "-l", join(postgres.directory, "log")],
          ...["-o", `-c listen_addresses=127.0.0.1 -k ${postgres.directory} -p ${postgres.port}`],
        ]);
        expect(await patient.getTaskState(ti.id, "k")).toEqual({ value: "before", backend: null });
        await patient.setTaskState(ti.id, "k", "after", { expiresAt: null });
        expect(await impatient.getTaskState(ti.id, "k")).toEqual({ value: "after", backend: null });
      } finally {
        await impatient.close();
        await patient.close();
      }
    });
  });
});

/** Runs pg_ctl on the test cluster's data folder, as the user that owns it. */
function pgCtl(postgres: PostgresTestServer, args: string[]): void {
  const pgCtlPath = join(findPostgresBin() as string, "pg_ctl");
  const command = [pgCtlPath, ...args, "-D", join(postgres.directory, "data")];
  const [file, fileArgs] =
    process.getuid?.() === 0
      ? ["runuser", ["-u", postgres.user, "--", ...command]]
      : [command[0] as string, command.slice(1)];
  execFileSync(file, fileArgs, { stdio: "ignore" });
}
