// What a "cannot find module" error tells an operator, checked in real temp projects: real
// node_modules folders, package.json files and lockfiles, resolved by the real resolver.
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ImportStringError, StateBackendLoadError } from "@flowstate/shared-state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getWorkerStateBackend, importString, loadConfig } from "../src/index.js";

let project: string;
beforeEach(async () => {
  project = await realpath(await mkdtemp(join(tmpdir(), "flowstate-messages-")));
});
afterEach(() => rm(project, { recursive: true, force: true }));

/** Writes `files` (path relative to the project → text, or an object written as JSON). */
async function write(files: Record<string, string | object>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(project, path, ".."), { recursive: true });
    await writeFile(
      join(project, path),
      typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`,
    );
  }
}

/** An installed ESM package `name` in `node_modules` exporting `source`. */
function installed(
  name: string,
  source = "export class RedisLikeStateBackend {}\n",
): Record<string, string | object> {
  return {
    [`node_modules/${name}/package.json`]: { name, version: "1.0.0", type: "module", main: "index.js" },
    [`node_modules/${name}/index.js`]: source,
  };
}

/** The ImportStringError `importString(path, { from })` fails with. */
async function importFailure(path: string, from = project): Promise<ImportStringError> {
  const error = await importString(path, { from }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ImportStringError);
  return error as ImportStringError;
}

/** The error's message and every cause's message, joined: all that a CLI or log would print. */
function everything(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) parts.push(current.message);
  return parts.join("\n");
}

describe("a class path whose package is misspelt", () => {
  it("suggests the installed package that is one letter away, and no install", async () => {
    await write({
      "package.json": { name: "ops", dependencies: { "flowstate-backend-redislike": "1.0.0" } },
    });
    await write({ "package-lock.json": "{}", ...installed("flowstate-backend-redislike") });
    const failure = await importFailure("flowstate-backend-redislik.RedisLikeStateBackend");
    expect(failure.reason).toBe("module-not-found");
    expect(failure.message).toContain("Did you mean flowstate-backend-redislike (installed)?");
    expect(failure.message).toContain("'flowstate-backend-redislike.RedisLikeStateBackend'");
    expect(failure.message).not.toMatch(/npm install|pnpm add|Install it/);
    // The corrected class path the message proposes really loads.
    expect(
      await importString("flowstate-backend-redislike.RedisLikeStateBackend", { from: project }),
    ).toBeTypeOf("function");
  });

  it("keeps a subpath when it proposes the corrected class path", async () => {
    await write(installed("@acme/scoped-plugin"));
    const failure = await importFailure("@acme/scoped-plugn/sub.Backend");
    expect(failure.message).toContain("Did you mean @acme/scoped-plugin (installed)?");
    expect(failure.message).toContain("'@acme/scoped-plugin/sub.Backend'");
  });

  it("finds near names in package.json too, and says they are only listed there", async () => {
    await write({ "package.json": { name: "ops", devDependencies: { "my-state-plugin": "^2.0.0" } } });
    const failure = await importFailure("my-state-plugn.Backend");
    expect(failure.message).toContain("Did you mean my-state-plugin (in package.json)?");
  });

  it("suggests installing when nothing installed is close", async () => {
    await write({ "package-lock.json": "{}", "package.json": { name: "ops" }, ...installed("left-pad") });
    const failure = await importFailure("flowstate-backend-redislike.RedisLikeStateBackend");
    expect(failure.message).not.toContain("Did you mean");
    expect(failure.message).toContain(`Install it: cd ${project} && npm install flowstate-backend-redislike`);
  });
});

describe("the install command follows the project's package manager", () => {
  it.each([
    ["pnpm-lock.yaml", "pnpm add"],
    ["package-lock.json", "npm install"],
    ["yarn.lock", "yarn add"],
    ["bun.lockb", "bun add"],
    ["bun.lock", "bun add"],
  ])("%s → %s", async (lockfile, command) => {
    await write({ [lockfile]: "", "package.json": { name: "ops" } });
    const failure = await importFailure("flowstate-backend-s3x.Backend");
    expect(failure.message).toContain(`cd ${project} && ${command} flowstate-backend-s3x`);
  });

  it("npm when there is no lockfile and no packageManager field", async () => {
    const failure = await importFailure("flowstate-backend-s3x.Backend");
    expect(failure.message).toContain(`cd ${project} && npm install flowstate-backend-s3x`);
  });

  it("the packageManager field of package.json wins over a lockfile in the same folder", async () => {
    await write({ "package-lock.json": "{}", "package.json": { name: "ops", packageManager: "yarn@4.1.0" } });
    const failure = await importFailure("flowstate-backend-s3x.Backend");
    expect(failure.message).toContain("yarn add flowstate-backend-s3x");
  });

  it("finds the lockfile above a config folder, and adds the package to the nearest package.json", async () => {
    await write({
      "pnpm-lock.yaml": "",
      "package.json": { name: "monorepo", private: true },
      "deploy/package.json": { name: "deploy" },
      "deploy/airflow/airflow.cfg": "[workers]\nstate_backend = flowstate-backend-s3x.Backend\n",
    });
    const failure = await importFailure("flowstate-backend-s3x.Backend", join(project, "deploy", "airflow"));
    expect(failure.message).toContain(`looking from ${join(project, "deploy", "airflow")}`);
    expect(failure.message).toContain(`cd ${join(project, "deploy")} && pnpm add flowstate-backend-s3x`);
  });

  it("a package listed in package.json but not installed: install the dependencies", async () => {
    await write({
      "yarn.lock": "",
      "package.json": { name: "ops", dependencies: { "flowstate-backend-s3x": "1" } },
    });
    const failure = await importFailure("flowstate-backend-s3x.Backend");
    expect(failure.message).toContain("package.json lists 'flowstate-backend-s3x' but it is not installed");
    expect(failure.message).toContain(`cd ${project} && yarn install`);
  });

  it("a package whose folder is there but whose entry file is not: reinstall or build it", async () => {
    await write({
      "pnpm-lock.yaml": "",
      "package.json": { name: "ops" },
      "node_modules/half-built/package.json": { name: "half-built", type: "module", main: "dist/index.js" },
    });
    const failure = await importFailure("half-built.Backend");
    expect(failure.message).toContain("package 'half-built' is installed but its entry file is missing");
    expect(failure.message).toContain("pnpm install");
    expect(failure.message).not.toContain("pnpm add");
  });
});

describe("no internal helper file appears in a message", () => {
  it.each([
    ["a missing package", "not-there-at-all.Backend"],
    ["a missing file", "./backends/missing.js.Backend"],
    ["a missing scoped package", "@nobody/nothing.Backend"],
  ])("%s: the message and its causes name only the project folder", async (_case, path) => {
    const failure = await importFailure(path);
    const text = everything(failure);
    expect(text).not.toContain("noop");
    // The resolver's own message names where it looked from: the project folder itself.
    const from = [...text.matchAll(/imported from ([^\s)]+)/g)].map((match) => match[1]);
    expect(from.length).toBeGreaterThan(0);
    for (const folder of from) expect(folder).toBe(`${project}/`);
  });
});

describe("StateBackendLoadError says where the class path was set", () => {
  it("the file and line of [workers] state_backend", async () => {
    await write({
      "airflow.cfg":
        "[core]\n\n[workers]\nstate_backend = flowstate-backend-redislik.RedisLikeStateBackend\n",
      ...installed("flowstate-backend-redislike"),
    });
    const conf = await loadConfig({ cwd: project, env: {} });
    const failure = await loadFailure(conf);
    expect(failure.source).toBe(`${join(project, "airflow.cfg")} line 4`);
    expect(failure.message).toContain(
      `Check the [workers] state_backend config value (set in ${join(project, "airflow.cfg")} line 4)`,
    );
    expect(failure.message).toContain("Did you mean flowstate-backend-redislike (installed)?");
  });

  it("the environment variable, when it overrides the file", async () => {
    await write({ "airflow.cfg": "[workers]\nstate_backend = x.Y\n" });
    const conf = await loadConfig({
      cwd: project,
      env: { AIRFLOW__WORKERS__STATE_BACKEND: "flowstate-backend-s3x.Backend" },
    });
    const failure = await loadFailure(conf);
    expect(failure.message).toContain("(set in environment variable AIRFLOW__WORKERS__STATE_BACKEND)");
    expect(failure.message).toContain("npm install flowstate-backend-s3x");
  });

  it("says nothing about a source when the reader cannot tell one", async () => {
    const reader = {
      baseDir: project,
      file: undefined,
      get: (_s: string, key: string, options?: { fallback?: string }) =>
        key === "state_backend" ? "flowstate-backend-s3x.Backend" : (options?.fallback ?? ""),
      getInt: () => 0,
      getBoolean: () => false,
      has: () => true,
      getSection: () => ({}),
    };
    const failure = await loadFailure(reader);
    expect(failure.source).toBeUndefined();
    expect(failure.message).toContain("Check the [workers] state_backend config value. Error:");
  });
});

async function loadFailure(
  conf: Parameters<typeof getWorkerStateBackend>[0],
): Promise<StateBackendLoadError> {
  const error = await getWorkerStateBackend(conf).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(StateBackendLoadError);
  return error as StateBackendLoadError;
}
