// `flowstate backend check` against real backends loaded from an airflow.cfg in a temp folder,
// and the names `flowstate backend new` derives. (The generated package itself is built and
// tested end to end by test/scaffold/backend-new.test.ts.)
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StateBackendCheckReport } from "@flowstate/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT_FAILURE, EXIT_OK } from "../src/index.js";
import {
  classNameProblem,
  defaultClassName,
  packageNameProblem,
  referenceScheme,
} from "../src/scaffold/names.js";
import { SCAFFOLD_VERSIONS } from "../src/scaffold/versions.js";
import { flowstate } from "./support.js";

// The memory backend by its file: the temp folder has no node_modules, and a file class path
// resolves from anywhere. Its package is still found from the file.
const MEMORY_FILE = createRequire(import.meta.url).resolve("@flowstate/backend-memory");
const MEMORY = `${MEMORY_FILE}.MemoryStateBackend`;

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "flowstate-cli-backend-"));
});
afterEach(() => rm(cwd, { recursive: true, force: true }));

/** Writes `airflow.cfg` with these `[workers]` lines into the run's folder. */
async function workers(...lines: string[]): Promise<void> {
  await writeFile(join(cwd, "airflow.cfg"), ["[workers]", ...lines, ""].join("\n"));
}

describe("flowstate backend check", () => {
  it("prints what it loaded from where, and times set, get and delete", async () => {
    await workers(`state_backend = ${MEMORY}`);
    const run = await flowstate(["backend", "check"], { cwd });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(EXIT_OK);
    expect(run.stdout).toContain(`class path  ${MEMORY}`);
    expect(run.stdout).toContain(`set in      ${join(cwd, "airflow.cfg")}:2`);
    expect(run.stdout).toContain(`module      ${MEMORY_FILE}`);
    expect(run.stdout).toContain("package     @flowstate/backend-memory@0.1.0");
    for (const step of ["set", "get", "delete"])
      expect(run.stdout).toMatch(new RegExp(`✓ ${step} +\\d+\\.\\d ms`));
    expect(run.stdout).toContain("ok: ");
  });

  it("only loads with --no-probe", async () => {
    await workers(`state_backend = ${MEMORY}`);
    const run = await flowstate(["backend", "check", "--no-probe"], { cwd });
    expect(run.code).toBe(EXIT_OK);
    expect(run.stdout).toMatch(/✓ load +\d+\.\d ms/);
    expect(run.stdout).not.toContain("✓ set");
  });

  it("names the environment variable the class path came from", async () => {
    const env = { AIRFLOW__WORKERS__STATE_BACKEND: MEMORY };
    const run = await flowstate(["backend", "check"], { cwd, env });
    expect(run.code).toBe(EXIT_OK);
    expect(run.stdout).toContain("set in      environment variable AIRFLOW__WORKERS__STATE_BACKEND");
  });

  it("exits 1 on a misspelled class path with the load error, its cause and its fix", async () => {
    await workers("state_backend = @flowstate/backend-memroy.MemoryStateBackend");
    const run = await flowstate(["backend", "check"], { cwd });
    expect(run.code).toBe(EXIT_FAILURE);
    expect(run.stderr).toContain(
      "✗ load failed: Could not load worker state backend '@flowstate/backend-memroy.MemoryStateBackend'",
    );
    expect(run.stderr).toContain("Cannot find module '@flowstate/backend-memroy'");
    expect(run.stderr).toContain("fix: Install the package in the project that holds airflow.cfg");
    expect(run.stdout).not.toContain("ok: ");
  });

  it("exits 1 when the class path names an export that is missing", async () => {
    await workers(`state_backend = ${MEMORY_FILE}.MemoryBackend`);
    const run = await flowstate(["backend", "check"], { cwd });
    expect(run.code).toBe(EXIT_FAILURE);
    expect(run.stderr).toContain("has no export named 'MemoryBackend'");
    expect(run.stderr).toContain("fix: Correct the name after the last '.'");
  });

  it("says values stay in the metadata store when no backend is configured, and exits 0", async () => {
    await workers();
    const run = await flowstate(["backend", "check"], { cwd });
    expect(run.code).toBe(EXIT_OK);
    expect(run.stdout).toContain("[workers] state_backend is empty");
    expect(run.stdout).toContain("kept in the metadata store");
  });

  it("prints the report as JSON with --json", async () => {
    await workers(`state_backend = ${MEMORY}`, 'state_backend_kwargs = {"namespace": "cli-json"}');
    const run = await flowstate(["backend", "check", "--json"], { cwd });
    expect(run.code).toBe(EXIT_OK);
    const report = JSON.parse(run.stdout) as StateBackendCheckReport;
    expect(report).toMatchObject({
      ok: true,
      configured: true,
      classPath: MEMORY,
      source: `${join(cwd, "airflow.cfg")} line 2`,
      module: { file: MEMORY_FILE, packageName: "@flowstate/backend-memory", packageVersion: "0.1.0" },
      probe: { dagId: "__flowstate_check__", taskId: "probe", key: "probe" },
    });
    expect(report.probe?.steps.map(({ step, ok }) => ({ step, ok }))).toEqual([
      { step: "set", ok: true },
      { step: "get", ok: true },
      { step: "delete", ok: true },
    ]);
    for (const step of report.probe?.steps ?? []) expect(typeof step.ms).toBe("number");
  });

  it("prints a failed report as JSON too, and exits 1", async () => {
    await workers("state_backend = no-such-plugin.Backend");
    const run = await flowstate(["backend", "check", "--json"], { cwd });
    expect(run.code).toBe(EXIT_FAILURE);
    const report = JSON.parse(run.stdout) as StateBackendCheckReport;
    expect(report).toMatchObject({
      ok: false,
      failure: { step: "load", error: { name: "StateBackendLoadError", code: "FLOWSTATE_BACKEND_LOAD" } },
    });
    expect(report.failure?.fix).toContain("Install the package");
  });

  it("exits 2 when the config file cannot be read", async () => {
    const run = await flowstate(["--config", "missing.cfg", "backend", "check"], { cwd });
    expect(run.code).toBe(2);
  });
});

describe("flowstate backend new: names", () => {
  it("accepts npm package names, scoped or not, and says what is wrong with others", () => {
    for (const name of ["flowstate-backend-redis", "@acme/flowstate-backend-redis", "my.store_2"])
      expect(packageNameProblem(name), name).toBeUndefined();
    expect(packageNameProblem("My-Backend")).toContain("upper-case");
    expect(packageNameProblem("_private")).toContain("starts with");
    expect(packageNameProblem("has space")).toContain("may only hold");
    expect(packageNameProblem("@scope/")).toContain("may only hold");
    expect(packageNameProblem("x".repeat(215))).toContain("214");
  });

  it("derives the class name and reference scheme from the package name", () => {
    expect(defaultClassName("flowstate-backend-redis")).toBe("RedisStateBackend");
    expect(defaultClassName("@acme/blob-store")).toBe("BlobStoreStateBackend");
    expect(defaultClassName("flowstate-state-backend")).toBe("MyStateBackend");
    expect(defaultClassName("3d-store")).toBe("Backend3dStoreStateBackend");
    expect(referenceScheme("BlobStoreStateBackend")).toBe("blob-store");
    expect(classNameProblem("RedisStateBackend")).toBeUndefined();
    expect(classNameProblem("redis-backend")).toContain("identifier");
  });

  it("pins the versions this repository builds and tests with", async () => {
    const root = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8"));
    expect(SCAFFOLD_VERSIONS).toMatchObject({
      typescript: root.devDependencies.typescript,
      vitest: root.devDependencies.vitest,
      typesNode: root.devDependencies["@types/node"],
      node: root.engines.node,
    });
    for (const pkg of ["shared-state", "backend-test-suite"]) {
      const manifest = JSON.parse(
        await readFile(new URL(`../../${pkg}/package.json`, import.meta.url), "utf8"),
      );
      expect(manifest.version, pkg).toBe(SCAFFOLD_VERSIONS.flowstate);
    }
  });
});
