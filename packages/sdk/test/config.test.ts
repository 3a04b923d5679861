import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@flowstate/shared-state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONFIG_DEFAULTS, Config, loadConfig } from "../src/index.js";

const HOME = "/home/tester";

let root: string;
beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), "flowstate-sdk-config-")));
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** Writes `text` to `relative` under the test's temp folder and returns the absolute path. */
async function write(relative: string, text: string): Promise<string> {
  const file = join(root, relative);
  await mkdir(join(file, ".."), { recursive: true });
  await writeFile(file, text);
  return file;
}

/** The ConfigError that `action` throws (or rejects with). */
async function configError(action: () => unknown): Promise<ConfigError> {
  let thrown: unknown;
  try {
    await action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

describe("loadConfig: which file", () => {
  it("reads nothing when there is no file: defaults and environment only, baseDir is cwd", async () => {
    const conf = await loadConfig({
      cwd: root,
      env: { HOME, AIRFLOW__WORKERS__STATE_BACKEND: "pkg.FromEnv" },
    });
    expect(conf.file).toBeUndefined();
    expect(conf.baseDir).toBe(root);
    expect(conf.get("workers", "state_backend")).toBe("pkg.FromEnv");
    expect(conf.getInt("state_store", "default_retention_days")).toBe(30);
    expect(conf.get("database", "sql_alchemy_conn")).toBe(`sqlite:///${HOME}/airflow/airflow.db`);
  });

  it("finds airflow.cfg in a folder above a nested cwd; baseDir and the default db are its folder", async () => {
    const file = await write("project/airflow.cfg", "[workers]\nstate_backend = ./b.js.B\n");
    const cwd = join(root, "project", "src", "deep");
    await mkdir(cwd, { recursive: true });
    const conf = await loadConfig({ cwd, env: { HOME } });
    expect(conf.file).toBe(file);
    expect(conf.baseDir).toBe(join(root, "project"));
    expect(conf.get("workers", "state_backend")).toBe("./b.js.B");
    expect(conf.get("database", "sql_alchemy_conn")).toBe(`sqlite:///${join(root, "project")}/airflow.db`);
  });

  it("prefers the nearest airflow.cfg", async () => {
    await write("airflow.cfg", "[workers]\nstate_backend = outer.Outer\n");
    const inner = await write("inner/airflow.cfg", "[workers]\nstate_backend = inner.Inner\n");
    const conf = await loadConfig({ cwd: join(root, "inner"), env: {} });
    expect(conf.file).toBe(inner);
    expect(conf.get("workers", "state_backend")).toBe("inner.Inner");
  });

  it("reads $AIRFLOW_HOME/airflow.cfg before searching from cwd, and puts the default db there", async () => {
    await write("project/airflow.cfg", "[workers]\nstate_backend = project.P\n");
    const homeFile = await write("home/airflow.cfg", "[workers]\nstate_backend = home.H\n");
    const conf = await loadConfig({ cwd: join(root, "project"), env: { AIRFLOW_HOME: join(root, "home") } });
    expect(conf.file).toBe(homeFile);
    expect(conf.baseDir).toBe(join(root, "home"));
    expect(conf.get("workers", "state_backend")).toBe("home.H");
    expect(conf.get("database", "sql_alchemy_conn")).toBe(`sqlite:///${join(root, "home")}/airflow.db`);
  });

  it("searches from cwd when $AIRFLOW_HOME has no airflow.cfg, keeping the db in AIRFLOW_HOME", async () => {
    const projectFile = await write("project/airflow.cfg", "[workers]\nstate_backend = project.P\n");
    const airflowHome = join(root, "empty-home");
    const conf = await loadConfig({ cwd: join(root, "project"), env: { AIRFLOW_HOME: airflowHome } });
    expect(conf.file).toBe(projectFile);
    expect(conf.get("database", "sql_alchemy_conn")).toBe(`sqlite:///${airflowHome}/airflow.db`);
  });

  it("reads the AIRFLOW_CONFIG file before AIRFLOW_HOME and the search", async () => {
    await write("project/airflow.cfg", "[workers]\nstate_backend = project.P\n");
    await write("home/airflow.cfg", "[workers]\nstate_backend = home.H\n");
    const named = await write("elsewhere/custom.cfg", "[workers]\nstate_backend = named.N\n");
    const env = { AIRFLOW_CONFIG: named, AIRFLOW_HOME: join(root, "home") };
    const conf = await loadConfig({ cwd: join(root, "project"), env });
    expect(conf.file).toBe(named);
    expect(conf.baseDir).toBe(join(root, "elsewhere"));
    expect(conf.get("workers", "state_backend")).toBe("named.N");
  });

  it("expands ~ and $VAR in AIRFLOW_CONFIG", async () => {
    const named = await write("cfgs/airflow.cfg", "[workers]\nstate_backend = named.N\n");
    const conf = await loadConfig({
      cwd: root,
      env: { HOME: root, AIRFLOW_CONFIG: "~/$DIR/airflow.cfg", DIR: "cfgs" },
    });
    expect(conf.file).toBe(named);
  });

  it("reads the `file` option before AIRFLOW_CONFIG, relative to cwd", async () => {
    const named = await write("named.cfg", "[workers]\nstate_backend = env.E\n");
    const explicit = await write("sub/explicit.cfg", "[workers]\nstate_backend = option.O\n");
    const conf = await loadConfig({
      cwd: join(root, "sub"),
      file: "explicit.cfg",
      env: { AIRFLOW_CONFIG: named },
    });
    expect(conf.file).toBe(explicit);
    expect(conf.get("workers", "state_backend")).toBe("option.O");
  });

  it("refuses a `file` option that does not exist, naming it", async () => {
    const missing = join(root, "nope.cfg");
    const error = await configError(() => loadConfig({ cwd: root, file: missing, env: {} }));
    expect(error.message).toContain(missing);
    expect(error.message).toContain("does not exist");
    expect(error.message).toContain("`file` option");
    expect(error.source).toBe(missing);
  });

  it("refuses an AIRFLOW_CONFIG file that does not exist, even when another file could be found", async () => {
    await write("airflow.cfg", "[workers]\nstate_backend = found.F\n");
    const missing = join(root, "missing", "airflow.cfg");
    const error = await configError(() => loadConfig({ cwd: root, env: { AIRFLOW_CONFIG: missing } }));
    expect(error.message).toContain(missing);
    expect(error.message).toContain("AIRFLOW_CONFIG");
  });

  it("refuses a named config file that is a folder", async () => {
    const error = await configError(() => loadConfig({ cwd: root, file: root, env: {} }));
    expect(error.message).toContain("is a folder");
  });

  it("accepts an empty config file", async () => {
    const file = await write("airflow.cfg", "");
    const conf = await loadConfig({ cwd: root, env: {} });
    expect(conf.file).toBe(file);
    expect(conf.get("workers", "state_backend")).toBe("");
  });

  it("reports a malformed file found by the search with its path and line number", async () => {
    const file = await write("airflow.cfg", "# flowstate\n\n[workers\nstate_backend = x.Y\n");
    const error = await configError(() => loadConfig({ cwd: root, env: {} }));
    expect(error.message).toContain(file);
    expect(error.message).toContain("line 3");
    expect(error.message).toContain("closing bracket");
  });

  it("reads a file changed after a first load (no stale cache)", async () => {
    await write("airflow.cfg", "[workers]\nstate_backend = first.F\n");
    expect((await loadConfig({ cwd: root, env: {} })).get("workers", "state_backend")).toBe("first.F");
    await write("airflow.cfg", "[workers]\nstate_backend = second.S\n");
    expect((await loadConfig({ cwd: root, env: {} })).get("workers", "state_backend")).toBe("second.S");
  });
});

describe("Config values", () => {
  const text = [
    "[workers]",
    "state_backend = file.Backend",
    'state_backend_kwargs = {"bucket": "b"}',
    "[state_store]",
    "default_retention_days = 7",
    "clear_on_success = True",
    "[custom]",
    "  ",
    "; a comment",
    "# another comment",
    "url = postgresql://u:p@h/db?sslmode=require",
    'quoted = \'{"prefix": "a#b"}\'',
    "commented = value ; not a comment in Airflow",
    "empty =",
    "flag = true",
    "colon: value",
  ].join("\n");
  const conf = Config.fromString(text, { file: "/etc/airflow/airflow.cfg", env: { HOME } });

  it("knows its file and takes baseDir from it", () => {
    expect(conf.file).toBe("/etc/airflow/airflow.cfg");
    expect(conf.baseDir).toBe("/etc/airflow");
  });

  it("looks section and key names up in lower case, as Airflow does", () => {
    expect(conf.get("workers", "state_backend")).toBe("file.Backend");
    expect(conf.get("WORKERS", "STATE_BACKEND")).toBe("file.Backend");
    expect(conf.has("Workers", "State_Backend")).toBe(true);
  });

  it("does not read a section or key the file spells in another case (Airflow does not)", () => {
    const mixed = Config.fromString(
      "[Workers]\nstate_backend = a.A\n[state_store]\nClear_On_Success = True\n",
      {
        env: {},
      },
    );
    expect(mixed.get("workers", "state_backend")).toBe("");
    expect(mixed.getBoolean("state_store", "clear_on_success")).toBe(false);
  });

  it("returns values as the file wrote them: quotes, '#' and ';' kept, as Airflow's configparser does", () => {
    expect(conf.get("workers", "state_backend_kwargs")).toBe('{"bucket": "b"}');
    expect(conf.get("custom", "url")).toBe("postgresql://u:p@h/db?sslmode=require");
    expect(conf.get("custom", "quoted")).toBe('\'{"prefix": "a#b"}\'');
    expect(conf.get("custom", "commented")).toBe("value ; not a comment in Airflow");
    expect(conf.get("custom", "empty")).toBe("");
    expect(conf.get("custom", "flag")).toBe("true");
    expect(conf.get("custom", "colon")).toBe("value");
  });

  it("falls back to the built-in defaults, and the defaults win over `fallback` as in Airflow", () => {
    const empty = Config.fromString("", { env: {} });
    for (const [section, options] of Object.entries(CONFIG_DEFAULTS)) {
      for (const [key, option] of Object.entries(options)) {
        expect(empty.has(section, key)).toBe(true);
        expect(option.description.length).toBeGreaterThan(10);
      }
    }
    expect(empty.get("workers", "state_backend", { fallback: "ignored" })).toBe("");
    expect(empty.getInt("state_store", "default_retention_days")).toBe(30);
    expect(empty.getBoolean("state_store", "clear_on_success")).toBe(false);
    expect(conf.getInt("state_store", "default_retention_days")).toBe(7);
    expect(conf.getBoolean("state_store", "clear_on_success")).toBe(true);
  });

  it("uses `fallback` for an option set nowhere, and otherwise names the section and key", () => {
    expect(conf.get("custom", "missing", { fallback: "fb" })).toBe("fb");
    expect(conf.getInt("custom", "missing", { fallback: 3 })).toBe(3);
    expect(conf.getBoolean("custom", "missing", { fallback: true })).toBe(true);
    expect(conf.has("custom", "missing")).toBe(false);
    for (const read of [
      () => conf.get("custom", "missing"),
      () => conf.getInt("custom", "missing"),
      () => conf.getBoolean("custom", "missing"),
    ]) {
      expect(read).toThrow(ConfigError);
      expect(read).toThrow("[custom] missing");
      expect(read).toThrow("AIRFLOW__CUSTOM__MISSING");
    }
  });

  it("ignores names an object inherits", () => {
    expect(conf.has("workers", "constructor")).toBe(false);
    expect(conf.has("constructor", "name")).toBe(false);
    expect(conf.get("custom", "toString", { fallback: "none" })).toBe("none");
  });

  it("lists a section with defaults, file values and environment overrides", () => {
    const withEnv = Config.fromString(text, {
      env: { AIRFLOW__WORKERS__EXTRA_OPTION: "from env", AIRFLOW__WORKERS__STATE_BACKEND: "env.Backend" },
    });
    const builtIns = Object.entries(CONFIG_DEFAULTS.workers).map(([key, option]) => [key, option.default]);
    expect(withEnv.getSection("WORKERS")).toEqual({
      ...Object.fromEntries(builtIns),
      state_backend: "env.Backend",
      state_backend_kwargs: '{"bucket": "b"}',
      extra_option: "from env",
    });
    expect(withEnv.getSection("no_such_section")).toEqual({});
  });
});

describe("Config: environment overrides and expansion", () => {
  it("lets AIRFLOW__{SECTION}__{KEY} win over the file, even when empty, keeping its value as set", () => {
    const text = "[workers]\nstate_backend = file.Backend\n[state_store]\ndefault_retention_days = 7\n";
    const conf = Config.fromString(text, {
      env: {
        AIRFLOW__WORKERS__STATE_BACKEND: "env.Backend ",
        AIRFLOW__STATE_STORE__DEFAULT_RETENTION_DAYS: "",
      },
    });
    // Airflow does not strip environment values.
    expect(conf.get("workers", "state_backend")).toBe("env.Backend ");
    expect(conf.describeSource("workers", "state_backend")).toBe(
      "environment variable AIRFLOW__WORKERS__STATE_BACKEND",
    );
    expect(() => conf.getInt("state_store", "default_retention_days")).toThrow(
      "AIRFLOW__STATE_STORE__DEFAULT_RETENTION_DAYS",
    );
  });

  it("reads only upper-case variable names, with dots of a section as underscores", () => {
    const conf = Config.fromString("[my.plugin]\nkey = file\n", {
      env: { airflow__workers__state_backend: "lower.Case", AIRFLOW__MY_PLUGIN__KEY: "env" },
    });
    expect(conf.get("workers", "state_backend")).toBe("");
    expect(conf.get("my.plugin", "key")).toBe("env");
  });

  it("expands $VAR, $-brace-VAR and a leading ~ from the `env` option, leaving unknown variables", () => {
    const text = [
      "[paths]",
      "plain = $DATA/x",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is the config syntax under test.
      "braced = ${DATA}y/z",
      "home = ~/cache",
      "unknown = $NOT_SET/a",
      "nested = $OUTER",
      "tilde_inside = a~b",
    ].join("\n");
    const env = { DATA: "/data", HOME, OUTER: "$DATA/outer" };
    const conf = Config.fromString(text, { env });
    expect(conf.get("paths", "plain")).toBe("/data/x");
    expect(conf.get("paths", "braced")).toBe("/datay/z");
    expect(conf.get("paths", "home")).toBe(`${HOME}/cache`);
    expect(conf.get("paths", "unknown")).toBe("$NOT_SET/a");
    expect(conf.get("paths", "nested")).toBe("/data/outer");
    expect(conf.get("paths", "tilde_inside")).toBe("a~b");
    expect(conf.getSection("paths").plain).toBe("/data/x");
  });

  it("expands environment override values too", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is the config syntax under test.
    const env = { AIRFLOW__PATHS__DIR: "${DATA}/env", DATA: "/d" };
    const conf = Config.fromString("", { env });
    expect(conf.get("paths", "dir")).toBe("/d/env");
  });

  it("refuses a value that grows forever when expanded", () => {
    const conf = Config.fromString("[paths]\nloop = $LOOP\n", {
      file: "/cfg/airflow.cfg",
      env: { LOOP: "x$LOOP" },
    });
    expect(() => conf.get("paths", "loop")).toThrow(ConfigError);
    expect(() => conf.get("paths", "loop")).toThrow("/cfg/airflow.cfg line 2");
  });

  it("reads the process environment when no `env` is given", () => {
    process.env.AIRFLOW__FLOWSTATE_TEST__PROCESS_ENV = "from process.env";
    try {
      expect(Config.fromString("").get("flowstate_test", "process_env")).toBe("from process.env");
    } finally {
      delete process.env.AIRFLOW__FLOWSTATE_TEST__PROCESS_ENV;
    }
  });
});

describe("Config: typed values", () => {
  const file = "/srv/project/airflow.cfg";

  it.each([
    ["30", 30],
    ["-5", -5],
    ["+12", 12],
    ["  0  ", 0],
  ])("getInt reads %j", (value, expected) => {
    const conf = Config.fromString(`[s]\nn = ${value}\n`, { file, env: {} });
    expect(conf.getInt("s", "n")).toBe(expected);
  });

  it.each(["30 days", "3.5", "", "1e3", "0x10", "9007199254740993", "thirty"])(
    "getInt refuses %j from the file, naming file, line, section, key and value",
    (value) => {
      const conf = Config.fromString(`[state_store]\ndefault_retention_days = ${value}\n`, { file, env: {} });
      const read = () => conf.getInt("state_store", "default_retention_days");
      expect(read).toThrow(ConfigError);
      try {
        read();
      } catch (error) {
        const configError = error as ConfigError;
        expect(configError.message).toContain(`${file} line 2`);
        expect(configError.message).toContain("[state_store] default_retention_days");
        expect(configError.message).toContain(JSON.stringify(value));
        expect(configError.message).toContain("not an integer");
        expect(configError).toMatchObject({
          source: file,
          section: "state_store",
          key: "default_retention_days",
          value,
        });
      }
    },
  );

  it("getInt refuses a bad environment value, naming the variable", async () => {
    const conf = Config.fromString("", { env: { AIRFLOW__STATE_STORE__DEFAULT_RETENTION_DAYS: "30 days" } });
    const error = await configError(() => conf.getInt("state_store", "default_retention_days"));
    expect(error.message).toContain("environment variable AIRFLOW__STATE_STORE__DEFAULT_RETENTION_DAYS");
    expect(error.message).toContain('"30 days"');
    expect(error.source).toBe("environment variable AIRFLOW__STATE_STORE__DEFAULT_RETENTION_DAYS");
  });

  it.each([
    ["True", true],
    ["true", true],
    ["TRUE", true],
    ["t", true],
    ["T", true],
    ["1", true],
    ["False", false],
    ["false", false],
    ["f", false],
    ["F", false],
    ["0", false],
  ])("getBoolean reads %j", (value, expected) => {
    const conf = Config.fromString(`[s]\nb = ${value}\n`, { env: {} });
    expect(conf.getBoolean("s", "b")).toBe(expected);
  });

  it.each(["yes", "no", "on", "2", "", "Truee"])(
    "getBoolean refuses %j, naming file, section, key and value",
    async (value) => {
      const conf = Config.fromString(`[state_store]\n\nclear_on_success = ${value}\n`, { file, env: {} });
      const error = await configError(() => conf.getBoolean("state_store", "clear_on_success"));
      expect(error.message).toContain(`${file} line 3`);
      expect(error.message).toContain("[state_store] clear_on_success");
      expect(error.message).toContain(JSON.stringify(value));
      expect(error.message).toContain("True or False");
      expect(error).toMatchObject({ source: file, section: "state_store", key: "clear_on_success", value });
    },
  );

  it("getBoolean refuses a bad environment value, naming the variable", async () => {
    const conf = Config.fromString("", { env: { AIRFLOW__STATE_STORE__CLEAR_ON_SUCCESS: "yes" } });
    const error = await configError(() => conf.getBoolean("state_store", "clear_on_success"));
    expect(error.message).toContain("AIRFLOW__STATE_STORE__CLEAR_ON_SUCCESS");
  });
});

describe("Config: malformed INI text", () => {
  it.each([
    ["an unclosed section header", "[workers]\nstate_backend = a.B\n[state_store", 3, "closing bracket"],
    ["an empty section name", "[]\nkey = value", 1, "before any [section] header"],
    ["a line with no '=' or ':'", "[workers]\nstate_backend", 2, "neither a [section] header"],
    ["an empty key", "[workers]\n= a.B", 2, "key before the `=` or `:` is empty"],
    ["a key before any section", "state_backend = a.B\n[workers]", 1, "before any [section]"],
    ["a key set twice", "[workers]\na = 1\n\nb = 2\na: 3", 5, "already set in [workers] at line 2"],
    ["a section written twice", "[workers]\na = 1\n\n[workers]\nb = 2", 4, "already defined at line 1"],
    ["Windows line endings", "[workers]\r\nok = 1\r\n[bad\r\n", 3, "closing bracket"],
  ])("refuses %s with the file and line number", (_case, text, line, problem) => {
    const read = () => Config.fromString(text, { file: "/cfg/airflow.cfg" });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(`Malformed config file /cfg/airflow.cfg at line ${line}`);
    expect(read).toThrow(problem);
  });

  it("reads text that starts with a UTF-8 byte order mark (as Windows editors save it)", () => {
    const conf = Config.fromString("\uFEFF[workers]\nstate_backend = my-plugin.Backend\n", { env: {} });
    expect(conf.get("workers", "state_backend")).toBe("my-plugin.Backend");
    expect(conf.getSection("workers")).toEqual(
      expect.objectContaining({ state_backend: "my-plugin.Backend" }),
    );
  });

  it("reads a config file that starts with a UTF-8 byte order mark", async () => {
    const file = await write("airflow.cfg", "\uFEFF[state_store]\nclear_on_success = True\n");
    const conf = await loadConfig({ file, env: {} });
    expect(conf.getBoolean("state_store", "clear_on_success")).toBe(true);
  });

  it("names the text when there is no file", () => {
    expect(() => Config.fromString("[oops")).toThrow("Malformed config file config text at line 1");
  });

  it("reads what Airflow reads that the `ini` package refused: continuations, `key: value`, odd names", () => {
    const text = '[workers]\nstate_backend_kwargs = {\n    "bucket": "b"\n  }\nlist[]: 1\n[Workers]\nA = 2\n';
    const conf = Config.fromString(text, { env: {} });
    expect(JSON.parse(conf.get("workers", "state_backend_kwargs"))).toEqual({ bucket: "b" });
    expect(conf.get("workers", "state_backend_kwargs")).toBe('{\n"bucket": "b"\n}');
    expect(conf.get("workers", "list[]")).toBe("1");
  });

  it("keeps dots in section names instead of nesting sections", () => {
    const conf = Config.fromString("[a]\nb = key b\n[a.b]\nc = key c\n", { env: {} });
    expect(conf.get("a", "b")).toBe("key b");
    expect(conf.get("a.b", "c")).toBe("key c");
  });
});

describe("Config: options Airflow moved ([core] sql_alchemy_conn → [database])", () => {
  const file = "/srv/moved/airflow.cfg";
  const moved =
    "The sql_alchemy_conn option in [core] has been moved to the sql_alchemy_conn option in [database] - the old setting has been used, but please update your config.";

  /** The DeprecationWarnings `action` emits for `file` or the environment (delivered on a later tick). */
  async function deprecations(action: () => void): Promise<Error[]> {
    const warnings: Error[] = [];
    const listen = (warning: Error) => warnings.push(warning);
    process.on("warning", listen);
    try {
      action();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", listen);
    }
    return warnings.filter(
      (warning) => (warning as { code?: string }).code === "FLOWSTATE_DEPRECATED_OPTION",
    );
  }

  it("reads [core] sql_alchemy_conn from the file when [database] has none, with one warning", async () => {
    const text =
      "[core]\nexecutor = LocalExecutor\nsql_alchemy_conn = postgresql://u:p@db/old\nsql_alchemy_pool_size = 4\n";
    let conf: Config | undefined;
    const warnings = await deprecations(() => {
      conf = Config.fromString(text, { file, env: {} });
      expect(conf.get("database", "sql_alchemy_conn")).toBe("postgresql://u:p@db/old");
      expect(conf.get("database", "sql_alchemy_conn")).toBe("postgresql://u:p@db/old");
      expect(conf.getSection("database").sql_alchemy_conn).toBe("postgresql://u:p@db/old");
    });
    // getSection read [database] sql_alchemy_pool_size too, which also comes from [core]: one warning each.
    expect(warnings.map((warning) => [warning.name, warning.message])).toEqual([
      ["DeprecationWarning", moved],
      ["DeprecationWarning", moved.replaceAll("sql_alchemy_conn", "sql_alchemy_pool_size")],
    ]);
    expect(conf?.describeSource("database", "sql_alchemy_conn")).toBe(
      `${file} line 3 ([core] sql_alchemy_conn, moved to [database] sql_alchemy_conn in Airflow 2.3.0)`,
    );
    expect(conf?.getInt("database", "sql_alchemy_pool_size")).toBe(4);
  });

  it("reads AIRFLOW__CORE__SQL_ALCHEMY_CONN when [database] sql_alchemy_conn is set nowhere", async () => {
    let conf: Config | undefined;
    const warnings = await deprecations(() => {
      conf = Config.fromString("", { env: { AIRFLOW__CORE__SQL_ALCHEMY_CONN: "postgresql://db/env-old" } });
      expect(conf.get("database", "sql_alchemy_conn")).toBe("postgresql://db/env-old");
    });
    expect(warnings.map((warning) => warning.message)).toEqual([moved]);
    expect(conf?.describeSource("database", "sql_alchemy_conn")).toBe(
      "environment variable AIRFLOW__CORE__SQL_ALCHEMY_CONN ([core] sql_alchemy_conn, moved to [database] sql_alchemy_conn in Airflow 2.3.0)",
    );
  });

  it.each([
    ["the file's [database]", "[database]\nsql_alchemy_conn = new\n[core]\nsql_alchemy_conn = old\n", {}],
    [
      "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
      "[core]\nsql_alchemy_conn = old\n",
      { AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: "new" },
    ],
    [
      "the file's [database] over AIRFLOW__CORE__",
      "[database]\nsql_alchemy_conn = new\n",
      { AIRFLOW__CORE__SQL_ALCHEMY_CONN: "old" },
    ],
  ])("prefers %s to the old option, without a warning", async (_case, text, env) => {
    const warnings = await deprecations(() => {
      const conf = Config.fromString(text, { file, env });
      expect(conf.get("database", "sql_alchemy_conn")).toBe("new");
      expect(conf.describeSource("database", "sql_alchemy_conn")).not.toContain("[core]");
    });
    expect(warnings).toEqual([]);
  });

  it("never reads the new option under the old name", () => {
    const conf = Config.fromString("[database]\nsql_alchemy_conn = new\n", { env: {} });
    expect(conf.has("core", "sql_alchemy_conn")).toBe(false);
    expect(conf.get("core", "sql_alchemy_conn", { fallback: "none" })).toBe("none");
  });

  it("falls back to the built-in default when neither name is set", async () => {
    const warnings = await deprecations(() => {
      const conf = Config.fromString("[core]\nexecutor = LocalExecutor\n", { file, env: {} });
      expect(conf.get("database", "sql_alchemy_conn")).toBe("sqlite:////srv/moved/airflow.db");
      expect(conf.describeSource("database", "sql_alchemy_conn")).toBe("built-in default");
    });
    expect(warnings).toEqual([]);
  });
});
