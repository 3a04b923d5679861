import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import {
  BaseStateBackend,
  ConfigError,
  ImportStringError,
  type ImportStringFailure,
  isStateBackend,
  type StateBackend,
  StateBackendError,
  StateBackendLoadError,
  TaskScope,
} from "@flowstate/shared-state";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Config, getWorkerStateBackend, loadConfig, resetWorkerStateBackendCache } from "../src/index.js";
import { createOperatorProject, type OperatorProject } from "./fixtures/operator-project.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/loader/", import.meta.url));
const SHARED_STATE_DIST = new URL("../../shared-state/dist/index.js", import.meta.url).href;

/** What backends.mjs records on globalThis. */
interface FixtureRecord {
  constructions: Record<string, number>;
  closes: Record<string, number>;
}
const record = (): FixtureRecord =>
  (globalThis as { __flowstateLoaderFixture?: FixtureRecord }).__flowstateLoaderFixture ?? {
    constructions: {},
    closes: {},
  };

/** The RecordingBackend fixture's instance fields. */
interface Recording extends StateBackend {
  options: Record<string, unknown>;
  context: { config?: unknown };
  closed: boolean;
}

let tagCounter = 0;
/** A tag no other test uses, so constructions are counted per test. */
const uniqueTag = (): string => `tag-${++tagCounter}`;

/** A config for the fixtures folder, isolated from the machine's environment. */
function config(backend: string, kwargs?: string, baseDir = FIXTURES): Config {
  const lines = ["[workers]", `state_backend = ${backend}`];
  if (kwargs !== undefined) lines.push(`state_backend_kwargs = ${kwargs}`);
  return Config.fromString(lines.join("\n"), { baseDir, env: {} });
}

/** The StateBackendLoadError a load fails with, after checking the message names key and class path. */
async function loadFailure(conf: Config, classPath: string): Promise<StateBackendLoadError> {
  const error = await getWorkerStateBackend(conf).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(StateBackendLoadError);
  const failure = error as StateBackendLoadError;
  expect(failure.message).toContain("[workers] state_backend");
  expect(failure.message).toContain(`'${classPath}'`);
  expect(failure.classPath).toBe(classPath);
  return failure;
}

function expectImportCause(failure: StateBackendLoadError, reason: ImportStringFailure): void {
  expect(failure.cause).toBeInstanceOf(ImportStringError);
  expect((failure.cause as ImportStringError).reason).toBe(reason);
  expect(failure.message).toContain((failure.cause as Error).message);
}

afterEach(() => resetWorkerStateBackendCache());

describe("getWorkerStateBackend", () => {
  it("returns undefined when [workers] state_backend is empty or blank", async () => {
    expect(await getWorkerStateBackend(Config.fromString("", { env: {} }))).toBeUndefined();
    expect(await getWorkerStateBackend(config(""))).toBeUndefined();
    const blank = Config.fromString("", { env: { AIRFLOW__WORKERS__STATE_BACKEND: "   " } });
    expect(await getWorkerStateBackend(blank)).toBeUndefined();
  });

  it("constructs the class with the kwargs object and { config }", async () => {
    const conf = config("./backends.mjs.RecordingBackend", '{"tag": "kwargs", "bucket": "b", "depth": 2}');
    const backend = (await getWorkerStateBackend(conf)) as Recording;
    expect(isStateBackend(backend)).toBe(true);
    expect(backend.options).toEqual({ tag: "kwargs", bucket: "b", depth: 2 });
    expect(backend.context.config).toBe(conf);
    const scope = new TaskScope({ dagId: "d", runId: "r", taskId: "t" });
    await backend.set(scope, "k", "v");
    expect(await backend.get(scope, "k")).toBe("v");
  });

  it("passes {} when state_backend_kwargs is empty", async () => {
    const backend = (await getWorkerStateBackend(config("./backends.mjs.RecordingBackend", ""))) as Recording;
    expect(backend.options).toEqual({});
  });

  it("caches the backend: the same instance for the same config, one construction", async () => {
    const tag = uniqueTag();
    const conf = config("./backends.mjs.RecordingBackend", JSON.stringify({ tag }));
    const first = await getWorkerStateBackend(conf);
    const second = await getWorkerStateBackend(
      config("./backends.mjs.RecordingBackend", JSON.stringify({ tag })),
    );
    expect(second).toBe(first);
    expect(record().constructions[tag]).toBe(1);
  });

  it("shares one load between concurrent first calls", async () => {
    const tag = uniqueTag();
    const conf = config("./backends.mjs.RecordingBackend", JSON.stringify({ tag }));
    const backends = await Promise.all(Array.from({ length: 5 }, () => getWorkerStateBackend(conf)));
    expect(new Set(backends).size).toBe(1);
    expect(record().constructions[tag]).toBe(1);
  });

  it("keeps separate backends for different kwargs and different base folders", async () => {
    const tag = uniqueTag();
    const absolute = `${join(FIXTURES, "backends.mjs")}.RecordingBackend`;
    const a = await getWorkerStateBackend(config(absolute, JSON.stringify({ tag }), FIXTURES));
    const b = await getWorkerStateBackend(config(absolute, JSON.stringify({ tag }), tmpdir()));
    const c = await getWorkerStateBackend(config(absolute, JSON.stringify({ tag, other: 1 }), FIXTURES));
    expect(new Set([a, b, c]).size).toBe(3);
    expect(record().constructions[tag]).toBe(3);
  });

  it("resetWorkerStateBackendCache closes every cached backend and forgets it", async () => {
    const tag = uniqueTag();
    const conf = config("./backends.mjs.RecordingBackend", JSON.stringify({ tag }));
    const first = (await getWorkerStateBackend(conf)) as Recording;
    await resetWorkerStateBackendCache();
    expect(first.closed).toBe(true);
    expect(record().closes[tag]).toBe(1);
    const second = await getWorkerStateBackend(conf);
    expect(second).not.toBe(first);
    expect(record().constructions[tag]).toBe(2);
  });

  it("resetWorkerStateBackendCache reports a failing close() and still forgets the backend", async () => {
    const tag = uniqueTag();
    const conf = config("./backends.mjs.CloseFailsBackend", JSON.stringify({ tag }));
    const first = await getWorkerStateBackend(conf);
    const error = await resetWorkerStateBackendCache().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(StateBackendError);
    expect((error as StateBackendError).operation).toBe("close");
    expect((error as Error).message).toContain("./backends.mjs.CloseFailsBackend");
    expect(((error as Error).cause as Error).message).toBe("close failed on purpose");
    expect(await getWorkerStateBackend(conf)).not.toBe(first);
    await expect(resetWorkerStateBackendCache()).rejects.toThrow("close failed");
  });

  it("does not cache a failed load: the next call retries and works once the module exists", async () => {
    const dir = await mkdtemp(join(tmpdir(), "flowstate-loader-late-"));
    try {
      const conf = config("./late.mjs.LateBackend", undefined, dir);
      const failure = await loadFailure(conf, "./late.mjs.LateBackend");
      expectImportCause(failure, "module-not-found");
      await writeFile(
        join(dir, "late.mjs"),
        `import { BaseStateBackend } from ${JSON.stringify(SHARED_STATE_DIST)};
export class LateBackend extends BaseStateBackend {
  async get() { return undefined; }
  async set() {}
  async delete() {}
  async clear() {}
}
`,
      );
      const backend = await getWorkerStateBackend(conf);
      expect(isStateBackend(backend)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("getWorkerStateBackend: every failure is a StateBackendLoadError with the specific cause", () => {
  it("a class path without a dot", async () => {
    expectImportCause(await loadFailure(config("RecordingBackend"), "RecordingBackend"), "invalid-path");
  });

  it("a module that cannot be found", async () => {
    const failure = await loadFailure(config("@acme/not-installed.Backend"), "@acme/not-installed.Backend");
    expectImportCause(failure, "module-not-found");
    expect(failure.message).toContain(`looking from ${FIXTURES.replace(/\/$/, "")}`);
  });

  it("a missing export", async () => {
    const failure = await loadFailure(config("./backends.mjs.NoSuchBackend"), "./backends.mjs.NoSuchBackend");
    expectImportCause(failure, "export-not-found");
    expect(failure.message).toContain("RecordingBackend");
  });

  it.each([
    ["an object, not a class", "notAClass", "not a class"],
    ["an arrow function", "arrowFactory", "no prototype"],
    ["a class that does not extend BaseStateBackend", "LookalikeBackend", "does not extend BaseStateBackend"],
    ["a class missing a method", "MissingMethodBackend", "does not implement clear"],
  ])("an export that is %s", async (_case, exportName, problem) => {
    const classPath = `./backends.mjs.${exportName}`;
    const failure = await loadFailure(config(classPath), classPath);
    expect(failure.cause).toBeInstanceOf(ConfigError);
    expect((failure.cause as ConfigError).message).toContain(problem);
    expect(failure.message).toContain(problem);
  });

  it("a constructor that throws, retried (not cached) on the next call", async () => {
    const before = record().constructions.throwing ?? 0;
    const conf = config("./backends.mjs.ThrowingBackend");
    const failure = await loadFailure(conf, "./backends.mjs.ThrowingBackend");
    expect((failure.cause as Error).message).toBe("cannot reach the storage on purpose");
    await loadFailure(conf, "./backends.mjs.ThrowingBackend");
    expect(record().constructions.throwing).toBe(before + 2);
  });

  it.each([
    ["invalid JSON", "{bucket: b}", "not valid JSON"],
    ["a JSON array", "[1, 2]", "must be a JSON object"],
    ["a JSON boolean", "true", "must be a JSON object"],
    ["JSON null", "null", "must be a JSON object"],
    ["a JSON number", "42", "must be a JSON object"],
  ])("state_backend_kwargs that is %s", async (_case, kwargs, problem) => {
    const constructedBefore = record().constructions.untagged ?? 0;
    const conf = config("./backends.mjs.RecordingBackend", kwargs);
    const failure = await loadFailure(conf, "./backends.mjs.RecordingBackend");
    const cause = failure.cause as ConfigError;
    expect(cause).toBeInstanceOf(ConfigError);
    expect(cause.message).toContain("[workers] state_backend_kwargs");
    expect(cause.message).toContain(problem);
    expect(cause).toMatchObject({ section: "workers", key: "state_backend_kwargs" });
    // The text may hold credentials: it is never kept as the value.
    expect(cause.value).toBeUndefined();
    expect(record().constructions.untagged ?? 0).toBe(constructedBefore);
  });

  it("malformed state_backend_kwargs holding a secret: never echoed, but says where the JSON breaks", async () => {
    const kwargs = '{"bucket":"b","secret_access_key":"TOPSECRET",}';
    const failure = await loadFailure(
      config("./backends.mjs.RecordingBackend", kwargs),
      "./backends.mjs.RecordingBackend",
    );
    const cause = failure.cause as ConfigError;
    expect(cause).toBeInstanceOf(ConfigError);
    const column = kwargs.indexOf(",}") + 2; // the '}' where a property name was expected
    expect(cause.message).toContain(`not valid JSON at line 1, column ${column}`);
    expect(failure.message).toContain(`at line 1, column ${column}`);
    for (const shown of [
      failure.message,
      cause.message,
      String(cause.value),
      String((cause.cause as Error | undefined)?.message),
      inspect(failure, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    ]) {
      expect(shown).not.toContain("TOPSECRET");
      expect(shown).not.toContain("secret_access_key");
    }
  });

  it("malformed multi-line state_backend_kwargs from the environment: the line and column count lines", async () => {
    const conf = Config.fromString("[workers]\nstate_backend = ./backends.mjs.RecordingBackend\n", {
      baseDir: FIXTURES,
      env: {
        AIRFLOW__WORKERS__STATE_BACKEND_KWARGS: '{\n  "bucket": "b",\n  "password": "TOPSECRET"\n  "x": 1\n}',
      },
    });
    const failure = await loadFailure(conf, "./backends.mjs.RecordingBackend");
    expect((failure.cause as Error).message).toContain("at line 4, column 3");
    expect(inspect(failure, { depth: Number.POSITIVE_INFINITY, showHidden: true })).not.toContain(
      "TOPSECRET",
    );
  });

  it("state_backend_kwargs that cannot be read (its $VARIABLE refers to itself)", async () => {
    const conf = Config.fromString("[workers]\nstate_backend = ./backends.mjs.RecordingBackend\n", {
      baseDir: FIXTURES,
      env: { AIRFLOW__WORKERS__STATE_BACKEND_KWARGS: "$LOOP", LOOP: "x$LOOP" },
    });
    const failure = await loadFailure(conf, "./backends.mjs.RecordingBackend");
    expect(failure.cause).toBeInstanceOf(ConfigError);
    expect((failure.cause as ConfigError).key).toBe("state_backend_kwargs");
  });

  it("names the environment variable a bad state_backend_kwargs came from", async () => {
    const conf = Config.fromString("[workers]\nstate_backend = ./backends.mjs.RecordingBackend\n", {
      baseDir: FIXTURES,
      env: { AIRFLOW__WORKERS__STATE_BACKEND_KWARGS: "{oops" },
    });
    const failure = await loadFailure(conf, "./backends.mjs.RecordingBackend");
    expect((failure.cause as ConfigError).message).toContain(
      "environment variable AIRFLOW__WORKERS__STATE_BACKEND_KWARGS",
    );
    expect((failure.cause as ConfigError).cause).toBeInstanceOf(SyntaxError);
  });
});

describe("getWorkerStateBackend: a plugin in the operator's pnpm project", () => {
  let project: OperatorProject;
  beforeAll(async () => {
    project = await createOperatorProject(
      '[workers]\nstate_backend = my-plugin.MyPluginBackend\nstate_backend_kwargs = {"greeting": "hello"}\n',
    );
  });
  afterAll(() => project.remove());

  it("loads from the config file's folder with its own shared-state copy: the brand passes, instanceof would not", async () => {
    const conf = await loadConfig({ cwd: join(project.dir, "src"), env: {} });
    expect(conf.baseDir).toBe(project.dir);
    const backend = (await getWorkerStateBackend(conf)) as Recording;
    expect(backend).not.toBeInstanceOf(BaseStateBackend);
    expect(isStateBackend(backend)).toBe(true);
    expect(backend.options).toEqual({ greeting: "hello" });
    expect(backend.context.config).toBe(conf);
    const scope = new TaskScope({ dagId: "d", runId: "r", taskId: "t" });
    await backend.set(scope, "job_id", "42");
    expect(await backend.get(scope, "job_id")).toBe("42");
    expect(await backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "ti", scope })).toBe("v");
  });

  it("does not find the same plugin when the config's folder is elsewhere (the sdk's own folder)", async () => {
    const sdkDir = fileURLToPath(new URL("..", import.meta.url));
    const conf = Config.fromString("[workers]\nstate_backend = my-plugin.MyPluginBackend\n", {
      baseDir: sdkDir,
      env: {},
    });
    const failure = await loadFailure(conf, "my-plugin.MyPluginBackend");
    expectImportCause(failure, "module-not-found");
    expect(failure.message).toContain("pnpm add my-plugin");
  });
});
