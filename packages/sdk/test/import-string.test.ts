import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  BaseStateBackend,
  ImportStringError,
  type ImportStringFailure,
  isStateBackendClass,
} from "@flowstate/shared-state";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importString } from "../src/index.js";
import { createOperatorProject, type OperatorProject } from "./fixtures/operator-project.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/import-string/", import.meta.url));
const SDK_DIR = fileURLToPath(new URL("..", import.meta.url));

/** The ImportStringError `promise` rejects with, after checking its reason and class path. */
async function importFailure(
  promise: Promise<unknown>,
  reason: ImportStringFailure,
  path: string,
): Promise<ImportStringError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ImportStringError);
  const failure = error as ImportStringError;
  expect(failure.reason).toBe(reason);
  expect(failure.importPath).toBe(path);
  return failure;
}

describe("importString: specifier forms", () => {
  let project: OperatorProject;
  beforeAll(async () => {
    project = await createOperatorProject("");
  });
  afterAll(() => project.remove());

  it("imports a named export of a relative file path, resolved against `from`", async () => {
    expect(await importString("./values.mjs.answer", { from: FIXTURES })).toBe(42);
    const greet = (await importString("./values.mjs.greet", { from: FIXTURES })) as (name: string) => string;
    expect(greet("ops")).toBe("hello ops");
  });

  it("imports `default` like any other export", async () => {
    expect(await importString("./values.mjs.default", { from: FIXTURES })).toBe("the default export");
  });

  it("splits at the LAST dot, so folders and files may contain dots", async () => {
    expect(await importString("./dir.with.dots/values.mjs.dotted", { from: FIXTURES })).toBe(
      "found through a dotted folder",
    );
  });

  it("imports from an absolute file path", async () => {
    expect(await importString(`${join(FIXTURES, "values.mjs")}.answer`, { from: tmpdir() })).toBe(42);
  });

  it("imports named exports of a CommonJS file", async () => {
    expect(await importString("./commonjs.cjs.fromCommonJs", { from: FIXTURES })).toBe("commonjs value");
  });

  it("imports a bare package from the project's node_modules (pnpm symlinked layout)", async () => {
    const Backend = await importString("my-plugin.MyPluginBackend", { from: project.dir });
    expect(isStateBackendClass(Backend)).toBe(true);
  });

  it("imports a scoped package", async () => {
    expect(await importString("@acme/scoped-plugin.scopedValue", { from: project.dir })).toBe(
      "from a scoped package",
    );
  });

  it("imports a package subpath that its `exports` map lists", async () => {
    expect(await importString("my-plugin/extra.extra", { from: project.dir })).toBe(
      "from the exports subpath",
    );
  });

  it("accepts `from` as a file: URL or a file inside the folder", async () => {
    expect(await importString("./values.mjs.answer", { from: pathToFileURL(FIXTURES) })).toBe(42);
    expect(await importString("./values.mjs.answer", { from: pathToFileURL(FIXTURES).href })).toBe(42);
    expect(await importString("./values.mjs.answer", { from: join(FIXTURES, "values.mjs") })).toBe(42);
  });

  it("resolves from a subfolder of the project through the node_modules above it", async () => {
    const Backend = await importString("my-plugin.MyPluginBackend", { from: join(project.dir, "src") });
    expect(isStateBackendClass(Backend)).toBe(true);
  });
});

describe("importString: resolution from the operator's project, not the sdk's", () => {
  let project: OperatorProject;
  beforeAll(async () => {
    project = await createOperatorProject("");
  });
  afterAll(() => project.remove());

  it("loads the plugin from the project folder, with the plugin's own copy of shared-state", async () => {
    const Backend = (await importString("my-plugin.MyPluginBackend", {
      from: project.dir,
    })) as new () => object;
    const PluginBase = await importString("my-plugin.PluginBase", { from: project.dir });
    expect(PluginBase).not.toBe(BaseStateBackend);
    const backend = new Backend();
    expect(backend).not.toBeInstanceOf(BaseStateBackend);
    expect(backend).toBeInstanceOf(PluginBase as new () => object);
    expect(isStateBackendClass(Backend)).toBe(true);
  });

  it("cannot see the plugin from the sdk's own folder, and says where it looked", async () => {
    const failure = await importFailure(
      importString("my-plugin.MyPluginBackend", { from: SDK_DIR }),
      "module-not-found",
      "my-plugin.MyPluginBackend",
    );
    expect(failure.message).toContain(SDK_DIR.replace(/\/$/, ""));
    expect(failure.message).toContain("pnpm add my-plugin");
  });

  it("cannot see the plugin from the working directory by default", async () => {
    await importFailure(
      importString("my-plugin.MyPluginBackend"),
      "module-not-found",
      "my-plugin.MyPluginBackend",
    );
  });
});

describe("importString: errors", () => {
  let project: OperatorProject;
  let scratch: string;
  beforeAll(async () => {
    project = await createOperatorProject("");
    scratch = await mkdtemp(join(tmpdir(), "flowstate-import-string-"));
  });
  afterAll(async () => {
    await project.remove();
    await rm(scratch, { recursive: true, force: true });
  });

  it.each([
    ["no dot", "mypackage", "no '.'"],
    ["empty module part", ".MyBackend", "module before the last '.' is empty"],
    ["empty export name", "my-plugin.", "export name after the last '.' is empty"],
    ["a slash after the last dot (file path without export)", "./backends.v2/mine", "contains '/'"],
    ["whitespace", "my-plugin. MyBackend", "whitespace"],
    ["surrounding whitespace", " my-plugin.MyBackend", "whitespace"],
    ["empty string", "", "no '.'"],
  ])("refuses a path with %s as invalid-path", async (_case, path, problem) => {
    const failure = await importFailure(importString(path, { from: FIXTURES }), "invalid-path", path);
    expect(failure.message).toContain(problem);
    expect(failure.message).toContain("<module>.<ExportName>");
  });

  it.each([
    ["a data: URL", "data:text/javascript,export class X {}.X"],
    [
      "a data: URL without whitespace that would run code",
      "data:text/javascript,globalThis.__flowstateImportRan=1;export{};.X",
    ],
    [
      "an encoded data: URL",
      "data:text/javascript;base64,Z2xvYmFsVGhpcy5fX2Zsb3dzdGF0ZUltcG9ydFJhbj0xOw==.X",
    ],
    ["an http: URL", "http://example.com/backend.mjs.Backend"],
    ["an https: URL", "https://example.com/backend.mjs.Backend"],
    ["a node: URL", "node:fs.readFileSync"],
    ["a file: URL", `${pathToFileURL(join(FIXTURES, "values.mjs")).href}.answer`],
  ])("refuses %s as invalid-path and runs nothing", async (_case, path) => {
    const failure = await importFailure(importString(path, { from: FIXTURES }), "invalid-path", path);
    expect(failure.message).toContain("<module>.<ExportName>");
    expect((globalThis as { __flowstateImportRan?: unknown }).__flowstateImportRan).toBeUndefined();
  });

  it("names the refused URL scheme", async () => {
    const path = "data:text/javascript,globalThis.__flowstateImportRan=1;export{};.X";
    const failure = await importFailure(importString(path, { from: FIXTURES }), "invalid-path", path);
    expect(failure.message).toContain("'data:' URLs are not accepted");
  });

  it.each([
    [42, "number"],
    [undefined, "undefined"],
    [null, "null"],
  ])("refuses a non-string path (%s) as invalid-path", async (path, type) => {
    const failure = await importFailure(
      importString(path as unknown as string),
      "invalid-path",
      String(path),
    );
    expect(failure.message).toContain(`got ${type}`);
  });

  it("reports a package that is not installed as module-not-found, suggesting npm install in that folder (no lockfile)", async () => {
    const failure = await importFailure(
      importString("@acme/not-installed/sub.Thing", { from: scratch }),
      "module-not-found",
      "@acme/not-installed/sub.Thing",
    );
    expect(failure.message).toContain(`looking from ${scratch}`);
    expect(failure.message).toContain(`cd ${scratch} && npm install @acme/not-installed`);
    expect(failure.cause).toBeInstanceOf(Error);
  });

  it("reports a subpath the package's exports do not list as module-not-found", async () => {
    const failure = await importFailure(
      importString("my-plugin/lib/extra.js.extra", { from: project.dir }),
      "module-not-found",
      "my-plugin/lib/extra.js.extra",
    );
    expect(failure.message).toContain('"exports"');
    expect((failure.cause as { code?: string }).code).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  it("reports a missing file as module-not-found, reminding that paths need their extension", async () => {
    const failure = await importFailure(
      importString("./values.answer", { from: FIXTURES }),
      "module-not-found",
      "./values.answer",
    );
    expect(failure.message).toContain("must include its extension");
  });

  it("hints at the export name when a file path ends in its extension", async () => {
    const failure = await importFailure(
      importString("./backends/mine.js", { from: FIXTURES }),
      "module-not-found",
      "./backends/mine.js",
    );
    expect(failure.message).toContain("'./backends/mine.js.ExportName'");
  });

  it("reports a missing export as export-not-found, listing the exports the module has", async () => {
    const failure = await importFailure(
      importString("./values.mjs.Missing", { from: FIXTURES }),
      "export-not-found",
      "./values.mjs.Missing",
    );
    expect(failure.message).toContain("no export named 'Missing'");
    expect(failure.message).toContain("Its exports: answer, default, greet.");
  });

  it("reports a module that throws while loading as module-threw, with its error as cause", async () => {
    const failure = await importFailure(
      importString("./throws-on-import.mjs.anything", { from: FIXTURES }),
      "module-threw",
      "./throws-on-import.mjs.anything",
    );
    expect(failure.message).toContain("this module blew up on purpose");
    expect((failure.cause as Error).message).toBe("this module blew up on purpose");
  });

  it("reports a found module whose own dependency is missing as module-threw, not module-not-found", async () => {
    const failure = await importFailure(
      importString("./missing-dependency.mjs.value", { from: FIXTURES }),
      "module-threw",
      "./missing-dependency.mjs.value",
    );
    expect(failure.message).toContain("flowstate-package-that-does-not-exist");
    expect(failure.cause).toBeInstanceOf(Error);
  });

  it("reports a syntax error in the module as module-threw", async () => {
    await writeFile(join(scratch, "broken.mjs"), "export const = ;\n");
    await importFailure(importString("./broken.mjs.x", { from: scratch }), "module-threw", "./broken.mjs.x");
  });

  it("refuses a `from` URL that is not a file: URL as invalid-path", async () => {
    const failure = await importFailure(
      importString("./values.mjs.answer", { from: new URL("https://example.com/") }),
      "invalid-path",
      "./values.mjs.answer",
    );
    expect(failure.message).toContain("`from` option");
  });
});
