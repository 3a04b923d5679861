// `flowstate backend new` end to end, as a backend author meets it: the built CLI scaffolds a
// package, which type-checks, passes the conformance suite and builds before the author changes a
// line, and the built class passes `flowstate backend check`. The package is written under this
// folder's `.generated/` (git-ignored), so `@flowstate/*` resolve from test/node_modules as they
// would from the author's own node_modules.
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type RunResult, repoRoot, runCommand } from "../support.js";

const GENERATED = join(repoRoot, "test", "scaffold", ".generated");
const NAME = "@e2e/flowstate-backend-widgets";
const CLASS = "WidgetsStateBackend";
const DIR = join(GENERATED, "flowstate-backend-widgets");
const BIN = join(repoRoot, "node_modules", ".bin");

/** Runs a command to its end with the environment of this process, minus vitest's own variables. */
function run(command: string, args: string[], cwd = repoRoot): Promise<RunResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST")));
  return runCommand(command, args, { cwd, env: { ...env, NO_COLOR: "1" } });
}

/** `flowstate ...args`, the built CLI in its own process. */
const flowstate = (args: string[], cwd = repoRoot) =>
  run(process.execPath, [join(repoRoot, "packages", "cli", "dist", "bin.js"), ...args], cwd);

let created: RunResult;
beforeAll(async () => {
  await rm(DIR, { recursive: true, force: true });
  await mkdir(GENERATED, { recursive: true });
  created = await flowstate(["backend", "new", NAME, "--dir", DIR]);
});

describe("flowstate backend new", () => {
  it("writes a plugin package and says what to do next", async () => {
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`class path  ${NAME}.${CLASS}`);
    const files = await readdir(DIR, { recursive: true });
    for (const file of [
      "package.json",
      "tsconfig.json",
      "vitest.config.ts",
      join("src", "index.ts"),
      join("test", "conformance.test.ts"),
      "README.md",
      ".gitignore",
    ])
      expect(files).toContain(file);
  });

  it("writes a publishable ESM package.json that depends on the contract at this repository's versions", async () => {
    const manifest = JSON.parse(await readFile(join(DIR, "package.json"), "utf8"));
    const sharedState = JSON.parse(
      await readFile(join(repoRoot, "packages", "shared-state", "package.json"), "utf8"),
    );
    const root = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8"));
    expect(manifest).toMatchObject({
      name: NAME,
      type: "module",
      exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } },
      files: ["dist"],
      engines: { node: root.engines.node },
      scripts: { build: expect.any(String), test: "vitest run" },
      peerDependencies: { "@flowstate/shared-state": `^${sharedState.version}` },
      devDependencies: {
        "@flowstate/backend-test-suite": `^${sharedState.version}`,
        "@flowstate/shared-state": `^${sharedState.version}`,
        typescript: `^${root.devDependencies.typescript}`,
        vitest: `^${root.devDependencies.vitest}`,
      },
    });
  });

  it("documents the class path operators set", async () => {
    const readme = await readFile(join(DIR, "README.md"), "utf8");
    expect(readme).toContain(`state_backend = ${NAME}.${CLASS}`);
  });

  it("type-checks as generated", async () => {
    const result = await run(join(BIN, "tsc"), ["-p", join(DIR, "tsconfig.json"), "--noEmit"]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("passes its conformance suite as generated", async () => {
    const result = await run(join(BIN, "vitest"), ["run", "--root", DIR]);
    expect(result.stdout).toMatch(/Tests +\d+ passed/);
    expect(result.stdout).not.toMatch(/failed/i);
    expect(result.code).toBe(0);
  });

  it("builds, and the built class passes `flowstate backend check`", async () => {
    const build = await run(join(BIN, "tsc"), ["-p", join(DIR, "tsconfig.json")]);
    expect(build.code).toBe(0);
    expect((await stat(join(DIR, "dist", "index.d.ts"))).isFile()).toBe(true);
    const project = join(GENERATED, "operator-project");
    await mkdir(project, { recursive: true });
    const classPath = `${join(DIR, "dist", "index.js")}.${CLASS}`;
    await writeFile(join(project, "airflow.cfg"), `[workers]\nstate_backend = ${classPath}\n`);
    const check = await flowstate(["backend", "check"], project);
    expect(check.stderr).toBe("");
    expect(check.stdout).toContain(`package     ${NAME}@0.1.0`);
    expect(check.stdout).toMatch(/✓ delete +\d+\.\d ms/);
    expect(check.code).toBe(0);
  });

  it("refuses a name npm would refuse, with exit 2 and nothing written", async () => {
    const dir = join(GENERATED, "bad-name");
    const result = await flowstate(["backend", "new", "My Backend", "--dir", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("package name 'My Backend' cannot be used");
    await expect(stat(dir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses a class name that is not an identifier, with exit 2", async () => {
    const result = await flowstate(["backend", "new", "widgets", "--class", "my-class", "--dir", DIR]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--class 'my-class' cannot be used");
  });

  it("refuses to write into a folder that is not empty, with exit 1, and says to pick --dir", async () => {
    const before = await readFile(join(DIR, "src", "index.ts"), "utf8");
    const result = await flowstate(["backend", "new", "other-backend", "--dir", DIR]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not empty");
    expect(result.stderr).toContain("--dir");
    expect(await readFile(join(DIR, "src", "index.ts"), "utf8")).toBe(before);
  });
});
