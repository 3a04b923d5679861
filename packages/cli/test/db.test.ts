import { join } from "node:path";
import {
  getConfiguredStateBackend,
  loadConfig,
  resetWorkerStateBackendCache,
  TaskStateAccessor,
} from "@flowstate/sdk";
import { TaskScope } from "@flowstate/shared-state";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT_OK, EXIT_USAGE } from "../src/index.js";
import { filesUnder, makeProject, openStore, type Project } from "./fixture.js";
import { flowstate } from "./support.js";

const SCOPE = new TaskScope({ dagId: "etl", runId: "r", taskId: "t" });

afterEach(() => resetWorkerStateBackendCache());

/** A project with one task instance; `expired` keys set 2 days ago with a 1-day retention, `live` keys now. */
async function projectWithState(keys: { expired: string[]; live: string[] }): Promise<Project> {
  const project = makeProject();
  const store = await openStore(project);
  const conf = await loadConfig({ file: join(project.dir, "airflow.cfg"), env: {} });
  try {
    const ti = await store.createTaskInstance({ ...SCOPE, id: "ti-db" });
    const deps = { client: store.client(), conf, tiId: ti.id, scope: SCOPE };
    const past = new TaskStateAccessor({ ...deps, now: () => new Date(Date.now() - 2 * 86_400_000) });
    for (const key of keys.expired) await past.set(key, `old ${key}`, { retention: { days: 1 } });
    for (const key of keys.live) await new TaskStateAccessor(deps).set(key, `new ${key}`);
  } finally {
    await store.close();
  }
  return project;
}

describe("flowstate db migrate", () => {
  it("creates the schema of a new store and prints dialect, location and versions", async () => {
    const project = makeProject();
    const first = await flowstate(["db", "migrate", "--json"], { cwd: project.dir });
    expect(first.code).toBe(EXIT_OK);
    expect(JSON.parse(first.stdout)).toEqual({
      dialect: "sqlite",
      location: project.dbPath,
      schemaVersion: { before: 0, after: 2 },
    });
    const again = await flowstate(["db", "migrate"], { cwd: project.dir });
    expect(again.stdout).toContain("schema    2 (up to date)");
    expect(again.stdout).toContain(`location  ${project.dbPath}`);
  });
});

describe("flowstate db purge-expired", () => {
  it("counts with --dry-run, then removes expired rows and their objects", async () => {
    const project = await projectWithState({ expired: ["a", "b"], live: ["c"] });
    expect(filesUnder(project.objects)).toHaveLength(3);
    const dry = await flowstate(["db", "purge-expired", "--dry-run"], { cwd: project.dir });
    expect(dry.stdout).toBe("would remove 2 expired rows and 2 objects (dry run: nothing removed)\n");
    expect(filesUnder(project.objects)).toHaveLength(3);

    const run = await flowstate(["db", "purge-expired", "--json"], { cwd: project.dir });
    expect(run.code).toBe(EXIT_OK);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 2, objects: 2, left: 0, dryRun: false });
    expect(filesUnder(project.objects).map((file) => file.split("/").at(-2))).toEqual(["c"]);
    const store = await openStore(project);
    expect((await store.listTaskState()).map((row) => row.key)).toEqual(["c"]);
    await store.close();

    const text = await flowstate(["db", "purge-expired"], { cwd: project.dir });
    expect(text.stdout).toMatch(/^removed 0 expired rows and 0 objects in \d+\.\d s\n$/);
  });
});

describe("flowstate db sweep-orphans", () => {
  /** A project with one recorded key and one object no row names (a crash between the steps). */
  async function projectWithOrphan(): Promise<{ project: Project; orphan: string }> {
    const project = await projectWithState({ expired: [], live: ["kept"] });
    const conf = await loadConfig({ file: join(project.dir, "airflow.cfg"), env: {} });
    const loaded = await getConfiguredStateBackend(conf);
    const orphan = await loaded?.backend.serializeTaskStateToRef({
      value: "lost",
      key: "crashed",
      tiId: "ti-db",
      scope: SCOPE,
      expiresAt: null,
    });
    await resetWorkerStateBackendCache();
    return { project, orphan: orphan as string };
  }

  it("keeps young orphans, lists old ones with --dry-run, and deletes them without it", async () => {
    const { project, orphan } = await projectWithOrphan();
    const young = JSON.parse(
      (await flowstate(["db", "sweep-orphans", "--json"], { cwd: project.dir })).stdout,
    );
    expect(young).toMatchObject({
      scanned: 2,
      referenced: 1,
      young: 1,
      orphans: [],
      olderThanMs: 86_400_000,
    });

    const dry = await flowstate(["db", "sweep-orphans", "--older-than", "0s", "--dry-run"], {
      cwd: project.dir,
    });
    expect(dry.code).toBe(EXIT_OK);
    expect(dry.stdout).toContain(`  ${orphan}\n`);
    expect(dry.stdout).toContain("would remove 1 orphaned object (dry run: nothing removed)");
    expect(filesUnder(project.objects)).toHaveLength(2);

    const scoped = ["--dag", "etl", "--run", "r", "--task", "t", "--older-than", "0s", "--json"];
    const run = await flowstate(["db", "sweep-orphans", ...scoped], { cwd: project.dir });
    expect(JSON.parse(run.stdout)).toMatchObject({
      scanned: 2,
      referenced: 1,
      orphans: [orphan],
      dryRun: false,
    });
    expect(filesUnder(project.objects).map((file) => file.split("/").at(-2))).toEqual(["kept"]);
    const get = await flowstate(["state", "get", "kept", "--ti", "ti-db"], { cwd: project.dir });
    expect(get.stdout).toBe("new kept");
  });

  it.each(["100", "1.5h", "soon", "-1d"])(
    "exits 2 on --older-than %s, saying how to write a duration",
    async (value) => {
      const project = makeProject();
      const run = await flowstate(["db", "sweep-orphans", "--older-than", value], { cwd: project.dir });
      expect(run.code).toBe(EXIT_USAGE);
      expect(run.stderr).toContain("e.g. 1d, 6h, 30m, 3600s");
    },
  );
});
