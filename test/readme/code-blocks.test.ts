// The docs' code, as readers copy it. Every ```ts block of README.md and examples/**/README.md
// carries a marker on the line before its fence (an HTML comment, invisible on GitHub):
//   <!-- test: run -->            a whole program: type-checked (strict), then run with node against
//                                 a real SQLite store in a fresh AIRFLOW_HOME; it must exit 0
//   <!-- test: compile -->        a whole program that needs servers: type-checked only
//   <!-- test: backend -->        a plugin's src/index.ts: type-checked and run through the conformance suite
//   <!-- test: suite -->          the plugin's test file (imports ../src/index.js): type-checked and run as written
//   <!-- test: fragment REASON --> not a whole program; REASON says why (required)
// and, optional for other blocks:
//   <!-- test: package-json -->   the plugin's package.json      <!-- test: tsconfig --> its tsconfig.json:
//                                 the backend block is built with it and loaded through package.json's exports
//   <!-- test: output DIR -->     what `pnpm --filter <DIR's package> start` prints; `…` stands for a part that
//                                 differs per run (ids, versions, timestamps)
// A ```ts block without a marker fails: every example is tested, or says why it is not.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { describeStateBackend } from "@flowstate/backend-test-suite";
import { type StateBackend, stateBackendClassProblem } from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { type RunResult, repoRoot, runCommand } from "../support.js";
import { type CompileProblem, compile, repoCompilerOptions, tsconfigIn } from "./compile.js";
import { type CodeBlock, codeBlocks, markdownFiles, readRepoFile } from "./markdown.js";

const TS_MODES = new Set(["run", "compile", "backend", "suite", "fragment"]);
const OTHER_MODES = new Set(["package-json", "tsconfig", "output", "fragment"]);
const TS_LANGS = new Set(["ts", "typescript", "tsx", "mts"]);
// Git-ignored (.gitignore: .generated/): written here so @flowstate/* resolve through test/node_modules.
const GENERATED = join(repoRoot, "test", "readme", ".generated");

// The root README and each example's README (examples/<name>/README.md): what readers copy from.
const docs = (await markdownFiles()).filter(
  (file) => file === "README.md" || /^examples\/[^/]+\/README\.md$/.test(file),
);

/** A doc's blocks and where each tested one is written. */
interface Doc {
  file: string;
  blocks: CodeBlock[];
  /** Generated path of a block, by its line. */
  paths: Map<number, string>;
  plugin: string;
}

function isTs(block: CodeBlock): boolean {
  return TS_LANGS.has(block.lang);
}

/** Why a block's marker is missing or wrong, or undefined. */
function markerProblem(block: CodeBlock): string | undefined {
  const where = `${block.file}:${block.line} (\`\`\`${block.lang})`;
  const { marker } = block;
  if (!marker) {
    return isTs(block)
      ? `${where} has no <!-- test: … --> marker: mark it run, compile, backend or suite, or fragment with a reason`
      : undefined;
  }
  if (!(isTs(block) ? TS_MODES : OTHER_MODES).has(marker.mode))
    return `${where}: unknown mode "${marker.mode}"`;
  if (marker.mode === "fragment" && marker.argument === "") return `${where}: a fragment must say why`;
  if (marker.mode === "output" && marker.argument === "") return `${where}: output needs the example folder`;
  return undefined;
}

/** Where a block's code goes: plugin files by their role, programs in a folder of their own. */
function generatedPath(plugin: string, dir: string, block: CodeBlock): string | undefined {
  switch (block.marker?.mode) {
    case "backend":
      return join(plugin, "src", "index.ts");
    case "suite":
      return join(plugin, "test", "conformance.ts");
    case "package-json":
      return join(plugin, "package.json");
    case "tsconfig":
      return join(plugin, "tsconfig.json");
    case "run":
    case "compile":
      return join(dir, `line-${block.line}`, "main.ts");
    default:
      return undefined;
  }
}

async function prepare(file: string): Promise<Doc> {
  const dir = join(GENERATED, file.replace(/\.md$/, "").replaceAll("/", "__"));
  const plugin = join(dir, "plugin");
  const blocks = codeBlocks(file, await readRepoFile(file));
  const paths = new Map<number, string>();
  for (const block of blocks) {
    const path = markerProblem(block) === undefined ? generatedPath(plugin, dir, block) : undefined;
    if (path === undefined) continue;
    if ([...paths.values()].includes(path)) throw new Error(`${file}:${block.line}: a second ${path}`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, block.code);
    paths.set(block.line, path);
  }
  return { file, blocks, paths, plugin };
}

await rm(GENERATED, { recursive: true, force: true });
const prepared = await Promise.all(docs.map(prepare));
const modeOf = (doc: Doc, line: number) => doc.blocks.find((b) => b.line === line)?.marker?.mode;
const tsFiles = prepared.flatMap((doc) =>
  [...doc.paths].filter(([line]) => TS_MODES.has(modeOf(doc, line) ?? "")).map(([, path]) => path),
);
const runFiles = prepared.flatMap((doc) =>
  [...doc.paths].filter(([line]) => modeOf(doc, line) === "run").map(([, path]) => path),
);
// One strict program for every block (as the repository's own code is checked); only programs are emitted.
const problems = compile(tsFiles, repoCompilerOptions(), runFiles);

/** The compiler's errors in `path`, located in the Markdown file. */
function problemsIn(block: CodeBlock, path: string, found: readonly CompileProblem[]): string[] {
  return found
    .filter((p) => p.file === undefined || p.file === path)
    .map((p) => `${block.file}:${block.line + p.line}: ${p.text}`);
}

// The backend blocks go through the conformance suite: through the doc's own test file when it has
// one (as the plugin author runs it), else with a default factory.
for (const doc of prepared) {
  const backend = doc.blocks.find((b) => b.marker?.mode === "backend");
  if (!backend) continue;
  const suite = doc.blocks.find((b) => b.marker?.mode === "suite");
  if (suite) {
    await import(pathToFileURL(doc.paths.get(suite.line) as string).href);
    continue;
  }
  const exported = (await import(pathToFileURL(doc.paths.get(backend.line) as string).href)) as Record<
    string,
    unknown
  >;
  for (const [name, candidate] of Object.entries(exported)) {
    if (stateBackendClassProblem(candidate) !== undefined) continue;
    const Backend = candidate as new () => StateBackend;
    describeStateBackend(`${doc.file}:${backend.line} ${name}`, {
      create: () => new Backend(),
      largeValueBytes: 1024 * 1024,
    });
  }
}

/** Runs node with `args` in `cwd`, without the caller's AIRFLOW_* settings (a reader's shell has none). */
function runNode(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<RunResult> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("AIRFLOW_") && name !== "INIT_CWD"),
  );
  return runCommand(process.execPath, args, { cwd, env: { ...clean, ...env } });
}

/** A regular expression for one line of a sample output: `…` is a run of non-blank characters. */
function sampleLine(line: string): RegExp {
  // split keeps the captured gap: even parts are literal text, odd parts a `…` (and its column gap).
  const parts = line.trimEnd().split(/…( {2,})?/);
  let pattern = "";
  for (const [i, part] of parts.entries()) {
    if (i % 2 === 0) pattern += escapeRegExp(part ?? "");
    else pattern += part === undefined ? "\\S+?" : "\\S+? +";
  }
  return new RegExp(`^${pattern}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function checkProgram(block: CodeBlock, path: string): Promise<void> {
  expect(problemsIn(block, path, problems), "type errors").toEqual([]);
  if (block.marker?.mode !== "run") return;
  const home = await mkdtemp(join(tmpdir(), "flowstate-readme-"));
  try {
    const ran = await runNode([path.replace(/\.ts$/, ".js")], home, { AIRFLOW_HOME: home });
    expect(ran, `${block.file}:${block.line} must run and exit 0`).toMatchObject({ code: 0, stderr: "" });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function checkPackageJson(block: CodeBlock): Promise<void> {
  const pkg = JSON.parse(block.code) as Record<string, Record<string, unknown> | string | string[]>;
  expect(pkg.type, '"type": "module": a plugin is ESM').toBe("module");
  expect(exportsEntry(pkg), "exports: the built entry point").toMatch(/^\.\/dist\/.+\.js$/);
  expect(pkg.files, "files: what npm publishes").toContain("dist");
  expect(pkg.peerDependencies, "peerDependencies").toHaveProperty(["@flowstate/shared-state"]);
  expect(Object.keys(pkg.devDependencies ?? {}), "devDependencies").toEqual(
    expect.arrayContaining([
      "@flowstate/backend-test-suite",
      "@flowstate/shared-state",
      "vitest",
      "typescript",
    ]),
  );
}

function exportsEntry(pkg: Record<string, unknown>): unknown {
  const root = (pkg.exports as Record<string, unknown> | string | undefined) ?? undefined;
  const dot = typeof root === "string" ? root : root?.["."];
  return typeof dot === "string" ? dot : (dot as Record<string, unknown> | undefined)?.default;
}

/** Builds the doc's backend with the doc's tsconfig and loads it through the doc's package.json exports. */
async function checkPluginBuild(doc: Doc, block: CodeBlock): Promise<void> {
  const { options, files } = tsconfigIn(doc.plugin, block.code);
  expect(files, "the tsconfig includes the backend's src/index.ts").toContain(
    join(doc.plugin, "src", "index.ts"),
  );
  const built = compile(files, options).map((p) => `${p.file ?? "tsconfig.json"}:${p.line}: ${p.text}`);
  expect(built, "errors building with this tsconfig").toEqual([]);
  const pkgPath = join(doc.plugin, "package.json");
  expect(existsSync(pkgPath), "a <!-- test: package-json --> block in the same file").toBe(true);
  const pkg = JSON.parse(await readFile(pkgPath, "utf8")) as Record<string, unknown>;
  const entry = join(doc.plugin, String(exportsEntry(pkg)));
  expect(existsSync(entry), `the build writes what package.json exports (${entry})`).toBe(true);
  const loaded = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  const classes = Object.keys(loaded).filter((name) => stateBackendClassProblem(loaded[name]) === undefined);
  expect(classes.length, "the package exports a backend class").toBeGreaterThan(0);
}

async function checkOutput(block: CodeBlock): Promise<void> {
  const folder = block.marker?.argument as string;
  const { name } = JSON.parse(await readFile(join(repoRoot, folder, "package.json"), "utf8")) as {
    name: string;
  };
  const ran = await runNode([join(repoRoot, "scripts", "pnpm.mjs"), "--filter", name, "start"], repoRoot);
  expect(ran.code, ran.stderr).toBe(0);
  const sample = block.code.trimEnd().split("\n");
  const printed = ran.stdout.split("\n").map((line) => line.trimEnd());
  const start = printed.findIndex((line) => sampleLine(sample[0] as string).test(line));
  expect(start, `the output has the sample's first line:\n${ran.stdout}`).toBeGreaterThanOrEqual(0);
  const mismatches = sample.flatMap((line, i) => {
    const actual = printed[start + i] ?? "(no line)";
    return sampleLine(line).test(actual)
      ? []
      : [`${block.file}:${block.line + 1 + i}\n  README: ${line}\n  real:   ${actual}`];
  });
  expect(mismatches, "sample lines that differ from the real output").toEqual([]);
}

function checkBlock(doc: Doc, block: CodeBlock): Promise<void> | void {
  const path = doc.paths.get(block.line);
  switch (block.marker?.mode) {
    case "run":
    case "compile":
      return checkProgram(block, path as string);
    case "backend":
    case "suite":
      expect(problemsIn(block, path as string, problems), "type errors").toEqual([]);
      return;
    case "package-json":
      return checkPackageJson(block);
    case "tsconfig":
      return checkPluginBuild(doc, block);
    case "output":
      return checkOutput(block);
  }
}

for (const doc of prepared) {
  describe(`code blocks of ${doc.file}`, () => {
    it("every ```ts block is marked: tested, or a fragment with a reason", () => {
      expect(doc.blocks.map(markerProblem).filter(Boolean)).toEqual([]);
    });

    for (const block of doc.blocks) {
      const mode = block.marker?.mode;
      if (mode === undefined || mode === "fragment" || markerProblem(block) !== undefined) continue;
      it(`line ${block.line}: ${mode}${block.marker?.argument ? ` ${block.marker.argument}` : ""}`, () =>
        checkBlock(doc, block));
    }
  });
}

describe("the sample-output matcher", () => {
  it("lets `…` stand for one run of non-blank characters, and its column gap vary; nothing else", () => {
    const line = sampleLine("  task:job_id     job-…                 memory://x/manual__…/job_id/…");
    expect(line.test("  task:job_id     job-3f9c2a1b     memory://x/manual__2026%3A1/job_id/0mw-58")).toBe(
      true,
    );
    expect(line.test("  task:job_id     job-3f9c2a1b     memory://y/manual__2026%3A1/job_id/0mw-58")).toBe(
      false,
    );
    expect(line.test("  task:job_id     job- 3f     memory://x/manual__2026/job_id/0mw-58")).toBe(false);
    expect(
      sampleLine("  try 2  success: job-…, intact: true").test("  try 2  success: job-1a, intact: true"),
    ).toBe(true);
    expect(sampleLine("sha256 aca1cd027e97").test("sha256 aca1cd027e98")).toBe(false);
  });
});
