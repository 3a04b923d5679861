// The tarballs work outside the repository: `pnpm pack` six packages (pnpm turns `workspace:^`
// into real ranges; npm pack would not), install them into a fresh project offline from the
// pnpm store this workspace filled (better-sqlite3 builds, or comes from the store's build
// cache), then run the installed `flowstate` bin and a task through the installed sdk.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../support.js";
import { type ExecResult, exec, pnpm } from "./packages.js";

const PACKED = ["shared-state", "sdk", "store", "api-server", "cli", "backend-memory"];
const BACKEND = "@flowstate/backend-memory.MemoryStateBackend";

let temp = "";
let project = "";

/** The environment without the npm/pnpm settings of the `pnpm exec` that runs vitest. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key)));
}

function flowstate(args: string[]): Promise<ExecResult> {
  return exec(join(project, "node_modules", ".bin", "flowstate"), args, { cwd: project, env: cleanEnv() });
}

/** Packs one workspace package into `dest` and returns the tarball's path. */
async function pack(name: string, dest: string): Promise<string> {
  const result = await pnpm(["pack", "--pack-destination", dest, "--json"], {
    cwd: join(repoRoot, "packages", name),
    env: cleanEnv(),
  });
  if (result.code !== 0) throw new Error(`pnpm pack failed in packages/${name}:\n${result.stderr}`);
  return (JSON.parse(result.stdout) as { filename: string }).filename;
}

/** package.json and pnpm-workspace.yaml of a project that takes every @flowstate package from a tarball. */
async function writeProject(tarballs: Record<string, string>): Promise<void> {
  const deps = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
  const manifest = { name: "packed-install", private: true, type: "module", dependencies: deps };
  await writeFile(join(project, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  // Overrides: the tarballs depend on each other by version (^0.1.0), which no registry has yet.
  const overrides = Object.entries(deps).map(([name, spec]) => `  "${name}": "${spec}"`);
  const workspace = ["allowBuilds:", "  better-sqlite3: true", "overrides:", ...overrides, ""].join("\n");
  await writeFile(join(project, "pnpm-workspace.yaml"), workspace);
  await writeFile(
    join(project, "airflow.cfg"),
    `[workers]\nstate_backend = ${BACKEND}\n\n[database]\nsql_alchemy_conn = sqlite:///airflow.db\n`,
  );
}

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), "flowstate-packed-"));
  project = join(temp, "project");
  const tarballDir = join(temp, "tarballs");
  await Promise.all([mkdir(project), mkdir(tarballDir)]);
  const files = await Promise.all(PACKED.map((name) => pack(name, tarballDir)));
  await writeProject(Object.fromEntries(PACKED.map((name, i) => [`@flowstate/${name}`, files[i] ?? ""])));

  const store = await pnpm(["store", "path"], { cwd: repoRoot, env: cleanEnv() });
  const install = await pnpm(
    ["install", "--offline", "--no-frozen-lockfile", "--store-dir", store.stdout.trim()],
    { cwd: project, env: cleanEnv(), timeoutMs: 150_000 },
  );
  if (install.code !== 0) {
    throw new Error(`offline install of the tarballs failed:\n${install.stdout}\n${install.stderr}`);
  }
}, 180_000);

afterAll(async () => {
  if (temp) await rm(temp, { recursive: true, force: true });
});

describe("the packed packages, installed in a project outside the repository", () => {
  it("depend on each other by version, not by workspace: range", async () => {
    const cli = JSON.parse(
      await readFile(join(project, "node_modules", "@flowstate", "cli", "package.json"), "utf8"),
    ) as { version: string; dependencies: Record<string, string> };
    expect(cli.dependencies["@flowstate/sdk"]).toBe(`^${cli.version}`);
    expect(Object.values(cli.dependencies).filter((range) => range.startsWith("workspace:"))).toEqual([]);
  });

  it("install a flowstate bin that prints its version and help", async () => {
    const { version } = JSON.parse(await readFile(join(repoRoot, "packages", "cli", "package.json"), "utf8"));
    expect(await flowstate(["--version"])).toMatchObject({ code: 0, stdout: `${version}\n` });
    const help = await flowstate(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: flowstate");
    expect(help.stdout).toMatch(/^\s+config\b/m);
    expect(help.stdout).toMatch(/^\s+db\b/m);
  });

  it("reads the project's airflow.cfg: flowstate config get-value workers state_backend", async () => {
    const result = await flowstate(["config", "get-value", "workers", "state_backend"]);
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: `${BACKEND}\n` });
  });

  it("creates the SQLite store with flowstate db migrate (better-sqlite3's native module loads)", async () => {
    const result = await flowstate(["db", "migrate"]);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(project, "airflow.db"))).toBe(true);
  });

  it("runs a task whose state goes to the backend named in airflow.cfg, loaded from the project", async () => {
    await writeFile(join(project, "task.mjs"), TASK_SCRIPT);
    const result = await exec(process.execPath, ["task.mjs"], { cwd: project, env: cleanEnv() });
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { state: string; value: string; stored: string };
    expect(out).toMatchObject({ state: "success", value: "job-42" });
    expect(out.stored).toMatch(/^memory:\/\//);
  });

  it("checks the backend the project names: flowstate backend check loads it from the project and probes it", async () => {
    const result = await flowstate(["backend", "check", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      classPath: string;
      module: { packageName: string; file: string };
      probe: { steps: { step: string; ok: boolean }[] };
    };
    expect(report).toMatchObject({ ok: true, classPath: BACKEND });
    expect(report.module.packageName).toBe("@flowstate/backend-memory");
    expect(report.module.file.startsWith(join(project, "node_modules"))).toBe(true);
    expect(report.probe.steps.map(({ step, ok }) => [step, ok])).toEqual([
      ["set", true],
      ["get", true],
      ["delete", true],
    ]);
  });

  it("shows the task's stored reference: flowstate state list --raw", async () => {
    const result = await flowstate([
      "state",
      "list",
      "--dag",
      "packed",
      "--run",
      "manual__1",
      "--task",
      "t",
      "--raw",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("job_id");
    expect(result.stdout).toMatch(/memory:\/\//);
  });
});

/** A task run with the installed sdk and store: the value goes to the memory backend, the row holds its reference. */
const TASK_SCRIPT = `
import { loadConfig, runTask } from "@flowstate/sdk";
import { openStateStore } from "@flowstate/store";

const conf = await loadConfig({ cwd: process.cwd() });
const store = await openStateStore(conf);
const ti = await store.createTaskInstance({ dagId: "packed", runId: "manual__1", taskId: "t", tryNumber: 1 });
const task = {
  async execute({ taskState }) {
    await taskState.set("job_id", "job-42");
    return taskState.get("job_id");
  },
};
const result = await runTask({ task, ti, client: store.client(), conf });
const [row] = await store.listTaskState({ dagId: "packed" });
console.log(JSON.stringify({ state: result.state, value: result.returnValue, stored: row?.value }));
await store.close();
`;
