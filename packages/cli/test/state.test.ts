import { beforeAll, describe, expect, it } from "vitest";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../src/index.js";
import { FS_BACKEND, filesUnder, makeProject, openStore, type Project } from "./fixture.js";
import { flowstate } from "./support.js";

const TASK = ["--dag", "etl", "--run", "run-1", "--task", "load"];
let project: Project;
const cli = (argv: string[], stdin?: string) => flowstate(argv, { cwd: project.dir, stdin });

beforeAll(async () => {
  project = makeProject();
  const store = await openStore(project);
  await store.createTaskInstance({ dagId: "etl", runId: "run-1", taskId: "load", id: "ti-load-1" });
  await store.createTaskInstance({
    dagId: "etl",
    runId: "run-1",
    taskId: "load",
    id: "ti-load-2",
    tryNumber: 2,
  });
  await store.createTaskInstance({
    dagId: "etl",
    runId: "run-1",
    taskId: "fan",
    mapIndex: 0,
    id: "ti-fan-0",
  });
  await store.createTaskInstance({
    dagId: "etl",
    runId: "run-1",
    taskId: "fan",
    mapIndex: 1,
    id: "ti-fan-1",
  });
  await store.close();
});

describe("flowstate state", () => {
  it("sets a value into the backend and gets it back exactly, with no trailing newline", async () => {
    const set = await cli(["state", "set", "job_id", "job-42", ...TASK]);
    expect(set).toMatchObject({ code: EXIT_OK, stderr: "" });
    expect(set.stdout).toContain("set 'job_id' for dag 'etl', run 'run-1', task 'load'");
    expect(filesUnder(project.objects).some((file) => file.includes("job_id"))).toBe(true);
    const get = await cli(["state", "get", "job_id", ...TASK]);
    expect(get).toMatchObject({ code: EXIT_OK, stdout: "job-42" });
  });

  it("shows the stored row with --raw: the reference, the backend class path and the expiry", async () => {
    await cli(["state", "set", "cursor", "c-1", ...TASK, "--retention-days", "2"]);
    const raw = await cli(["state", "get", "cursor", ...TASK, "--raw", "--json"]);
    expect(raw.code).toBe(EXIT_OK);
    const row = JSON.parse(raw.stdout);
    expect(row.stored).toMatch(/^file:\/\/.*\/cursor\//);
    expect(row.stored).not.toContain("c-1");
    expect(row.backend).toBe(FS_BACKEND);
    const days = (Date.parse(row.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(1.9);
    expect(days).toBeLessThanOrEqual(2);
    const text = await cli(["state", "get", "cursor", ...TASK, "--raw"]);
    expect(text.stdout).toMatch(/^stored {2}file:\/\//m);
    expect(text.stdout).toContain(`backend ${FS_BACKEND}`);
  });

  it("reads the value from standard input with -, and keeps it forever with --never-expire", async () => {
    const payload = "line one\nline two\n";
    expect(
      (await cli(["state", "set", "blob", "-", "--ti", "ti-load-1", "--never-expire"], payload)).code,
    ).toBe(EXIT_OK);
    expect((await cli(["state", "get", "blob", ...TASK])).stdout).toBe(payload);
    const json = JSON.parse((await cli(["state", "get", "blob", ...TASK, "--json"])).stdout);
    expect(json).toEqual({ key: "blob", value: payload });
  });

  it("lists keys with size and expiry, and references with --raw", async () => {
    const list = await cli(["state", "list", ...TASK, "--json"]);
    expect(list.code).toBe(EXIT_OK);
    const { taskInstance, keys } = JSON.parse(list.stdout);
    expect(taskInstance).toMatchObject({ id: "ti-load-2", tryNumber: 2, taskId: "load" }); // the latest try
    const blob = keys.find((entry: { key: string }) => entry.key === "blob");
    expect(blob).toMatchObject({ bytes: 18, expiresAt: null, expired: false, backend: FS_BACKEND });
    expect(blob.stored).toBeUndefined();
    const raw = JSON.parse((await cli(["state", "list", ...TASK, "--raw", "--json"])).stdout);
    expect(raw.keys.every((entry: { stored: string }) => entry.stored.startsWith("file://"))).toBe(true);
    const text = await cli(["state", "list", ...TASK]);
    expect(text.stdout).toMatch(/^KEY\s+SIZE\s+EXPIRES$/m);
    expect(text.stdout).toMatch(/^blob\s+18 B\s+never$/m);
  });

  it("lists the task instances of a DAG when no whole task is named", async () => {
    const list = await cli(["state", "list", "--dag", "etl", "--json"]);
    const ids = JSON.parse(list.stdout).taskInstances.map((ti: { id: string }) => ti.id);
    expect(ids).toEqual(["ti-fan-0", "ti-fan-1", "ti-load-1", "ti-load-2"]);
  });

  it("exits 1 naming the task instance and how to list what exists when it is not in the store", async () => {
    const run = await cli(["state", "get", "job_id", "--dag", "etl", "--run", "run-9", "--task", "load"]);
    expect(run.code).toBe(EXIT_FAILURE);
    expect(run.stderr).toContain("No task instance of dag 'etl', run 'run-9', task 'load', map index -1");
    expect(run.stderr).toContain("flowstate state list --dag etl");
    const mapped = await cli(["state", "list", "--dag", "etl", "--run", "run-1", "--task", "fan"]);
    expect(mapped.code).toBe(EXIT_FAILURE);
    expect(mapped.stderr).toContain("map index(es) 0, 1: pass one with --map-index");
  });

  it("exits 1 with a clear message when the key is not set", async () => {
    const run = await cli(["state", "get", "never_set", ...TASK]);
    expect(run).toMatchObject({ code: EXIT_FAILURE, stdout: "" });
    expect(run.stderr).toContain("key 'never_set' of dag 'etl', run 'run-1', task 'load' is not set");
    expect(run.stderr).toContain("flowstate state list --dag etl --run run-1 --task load");
  });

  it("refuses a usage error with exit 2: no task named, conflicting retention options", async () => {
    expect((await cli(["state", "get", "k", "--dag", "etl"])).code).toBe(EXIT_USAGE);
    const both = await cli(["state", "set", "k", "v", ...TASK, "--never-expire", "--retention-days", "3"]);
    expect(both.code).toBe(EXIT_USAGE);
  });

  it("deletes one key: the row and its object", async () => {
    await cli(["state", "set", "gone", "soon", ...TASK]);
    const before = filesUnder(project.objects).filter((file) => file.includes("/gone/"));
    expect(before).toHaveLength(1);
    const run = await cli(["state", "delete", "gone", ...TASK, "--json"]);
    expect(JSON.parse(run.stdout)).toEqual({
      removed: [{ key: "gone", mapIndex: -1, backend: FS_BACKEND }],
      rows: 1,
      objects: 1,
      objectsLeft: 0,
    });
    expect(filesUnder(project.objects).filter((file) => file.includes("/gone/"))).toEqual([]);
    expect((await cli(["state", "get", "gone", ...TASK])).code).toBe(EXIT_FAILURE);
  });

  it("clears every key of the task instance, rows and objects, and prints what it removed", async () => {
    await cli([
      "state",
      "set",
      "k",
      "fan-0",
      "--dag",
      "etl",
      "--run",
      "run-1",
      "--task",
      "fan",
      "--map-index",
      "0",
    ]);
    const keysBefore = JSON.parse((await cli(["state", "list", ...TASK, "--json"])).stdout).keys.length;
    expect(keysBefore).toBeGreaterThan(1);
    const run = await cli(["state", "clear", ...TASK]);
    expect(run.code).toBe(EXIT_OK);
    expect(run.stdout).toMatch(
      new RegExp(`^removed ${keysBefore} rows and ${keysBefore} objects of dag 'etl'`),
    );
    const store = await openStore(project);
    try {
      expect(await store.listTaskState({ dagId: "etl", taskId: "load" })).toEqual([]);
      expect(await store.listTaskState({ dagId: "etl", taskId: "fan" })).toHaveLength(1); // another task: kept
    } finally {
      await store.close();
    }
    expect(filesUnder(project.objects).filter((file) => file.includes("/load/"))).toEqual([]);
    expect(filesUnder(project.objects).filter((file) => file.includes("/fan/"))).toHaveLength(1);
    const again = await cli(["state", "clear", ...TASK, "--json"]);
    expect(JSON.parse(again.stdout)).toEqual({ removed: [], rows: 0, objects: 0, objectsLeft: 0 });
  });
});
