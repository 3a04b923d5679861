// The examples, run as a user runs them (their built entry points), against real SQLite files.
// Each run is pointed at a temp database through the environment, as an operator would.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Config } from "@flowstate/sdk";
import { openSqliteStateStore } from "@flowstate/store";
import { describe, expect, it } from "vitest";
import { repoRoot, runNode, useTempDirs } from "./support.js";

const tempDir = useTempDirs();

describe("examples/quickstart", () => {
  const dir = join(repoRoot, "examples", "quickstart");

  it("a retry sees its job id and 1 MB payload through the memory backend; the store holds references", async () => {
    const tmp = await tempDir("flowstate-quickstart-");
    const db = join(tmp, "airflow.db");
    const run = await runNode("dist/main.js", dir, {
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${db}`,
    });

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/try 1 {2}failed: worker lost while waiting for job-[0-9a-f]{8}/);
    expect(run.stdout).toMatch(/try 2 {2}success: re-attached to job-[0-9a-f]{8}, payload intact: true/);
    expect(run.stdout).toContain("1,048,576 chars");

    const store = await openSqliteStateStore({ path: db });
    try {
      const rows = await store.listTaskState({ dagId: "quickstart" });
      expect(rows.map((r) => r.key).sort()).toEqual(["job_id", "payload"]);
      for (const row of rows) {
        expect(row.value).toMatch(/^memory:\/\/quickstart\/task\/quickstart\/manual__/);
        expect(row.value.length).toBeLessThan(200); // a reference, not the 1 MB payload
        expect(row.backend).toBe("@flowstate/backend-memory.MemoryStateBackend");
      }
      const [watermark] = await store.listAssetState({ name: "daily_orders" });
      // One version of the key, named after the asset's name whichever way the task declared it.
      expect(watermark?.value).toMatch(
        /^memory:\/\/quickstart\/asset\/name\/daily_orders\/watermark\/[0-9a-z]{9}-[0-9a-f]{16}$/,
      );
    } finally {
      await store.close();
    }
  });

  it("fails loudly when its backend cannot be loaded", async () => {
    const tmp = await tempDir("flowstate-quickstart-");
    const run = await runNode("dist/main.js", dir, {
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(tmp, "airflow.db")}`,
      AIRFLOW__WORKERS__STATE_BACKEND: "@flowstate/backend-memory.NoSuchBackend",
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      "Could not load worker state backend '@flowstate/backend-memory.NoSuchBackend'",
    );
    expect(run.stderr).toContain("MemoryStateBackend"); // the exports that do exist
    expect(run.stdout).not.toContain("try 1");
  });
});

describe("examples/custom-backend", () => {
  const dir = join(repoRoot, "examples", "custom-backend", "operator-project");

  it("loads the plugin installed in the operator project by class path and keeps the value in a file", async () => {
    const tmp = await tempDir("flowstate-custom-");
    const run = await runNode("dist/main.js", dir, {
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(tmp, "airflow.db")}`,
      AIRFLOW__WORKERS__STATE_BACKEND_KWARGS: JSON.stringify({ root: join(tmp, "files") }),
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("flowstate-backend-fs.FileSystemStateBackend");

    const stored = run.stdout.match(/store holds {3}(file:\S+)/)?.[1];
    expect(stored).toBeDefined();
    const file = fileURLToPath(stored as string);
    expect(file.startsWith(join(tmp, "files"))).toBe(true);
    const read = run.stdout.match(/task read {5}(.+)/)?.[1];
    expect(await readFile(file, "utf8")).toBe(read);
  });

  it("resolves the plugin from the config file's folder: the sdk's own folder cannot see it", async () => {
    const { getWorkerStateBackend, importString, loadConfig, resetWorkerStateBackendCache } = await import(
      "@flowstate/sdk"
    );
    const conf = await loadConfig({ cwd: dir, env: {} });
    const backend = await getWorkerStateBackend(conf);
    expect(backend?.constructor.name).toBe("FileSystemStateBackend");
    await resetWorkerStateBackendCache();
    await expect(
      importString("flowstate-backend-fs.FileSystemStateBackend", {
        from: join(repoRoot, "packages", "sdk"),
      }),
    ).rejects.toMatchObject({ reason: "module-not-found" });
  });
});

describe("examples/s3-offload", () => {
  const dir = join(repoRoot, "examples", "s3-offload");

  it("checkpoints 50 MB into a local S3 server; the store holds s3:// references of objects that exist", async () => {
    const tmp = await tempDir("flowstate-s3-offload-");
    const run = await runNode("dist/main.js", dir, {
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(tmp, "airflow.db")}`,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/task read back {3}50\.0 MB, sha256 [0-9a-f]{12}/);
    expect(run.stdout).toMatch(
      /metadata store {3}s3:\/\/flowstate-state\/examples\/s3-offload\/task\/s3_offload\/manual__\S+\/aggregate\/-1\/checkpoint/,
    );
    expect(run.stdout).toContain("bucket holds     52,428,800 bytes");
    expect(run.stdout).toContain("s3://flowstate-state/examples/s3-offload/asset/name/clickstream/watermark");
    expect(run.stdout).not.toContain("(nothing!)");
  });
});

describe("config from the example folders", () => {
  it("every example's airflow.cfg parses", async () => {
    for (const example of ["quickstart", "custom-backend/operator-project", "s3-offload"]) {
      const file = join(repoRoot, "examples", example, "airflow.cfg");
      const conf = Config.fromString(await readFile(file, "utf8"), { file, env: {} });
      expect(conf.get("workers", "state_backend")).not.toBe("");
    }
  });
});
