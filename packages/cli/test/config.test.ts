import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../src/index.js";
import { flowstate } from "./support.js";

let dir: string;
let cfg: string;

const AIRFLOW_CFG = `# a project's airflow.cfg
[workers]
state_backend = @flowstate/backend-memory.MemoryStateBackend
state_backend_kwargs = {"bucket": "b", "secret_access_key": "hunter2"}

[database]
sql_alchemy_conn = postgresql://airflow:pa55word@db:5432/airflow

[api_auth]
jwt_secret = a-very-long-secret-that-signs-task-tokens

[scheduler]
job_heartbeat_sec = 5
`;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), "flowstate-cli-config-")));
  cfg = join(dir, "airflow.cfg");
  await writeFile(cfg, AIRFLOW_CFG);
  await mkdir(join(dir, "other"));
  await writeFile(join(dir, "other", "staging.cfg"), "[workers]\nstate_backend = ./staging.js.Backend\n");
  await writeFile(join(dir, "other", "broken.cfg"), "[workers]\nstate_backend = a.B\nstate_backend = c.D\n");
  await writeFile(
    join(dir, "other", "lint-errors.cfg"),
    "[workers]\nstate_backnd = a.B\n[state_store]\ndefault_retention_days = forever\n",
  );
  await writeFile(join(dir, "other", "lint-warnings.cfg"), "[workers]\nstate_backnd = a.B\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const run = (argv: string[], env: Record<string, string> = {}) => flowstate(argv, { cwd: dir, env });

describe("flowstate config get-value", () => {
  it("prints exactly the value, on one line", async () => {
    const result = await run(["config", "get-value", "workers", "state_backend"]);
    expect(result).toEqual({
      code: EXIT_OK,
      stdout: "@flowstate/backend-memory.MemoryStateBackend\n",
      stderr: "",
    });
  });

  it("prints a credential as it is (a script asked for it), and a built-in default", async () => {
    expect((await run(["config", "get-value", "api_auth", "jwt_secret"])).stdout).toBe(
      "a-very-long-secret-that-signs-task-tokens\n",
    );
    expect((await run(["config", "get-value", "state_store", "default_retention_days"])).stdout).toBe("30\n");
  });

  it("is case-insensitive in section and key", async () => {
    expect((await run(["config", "get-value", "WORKERS", "State_Backend"])).stdout).toBe(
      "@flowstate/backend-memory.MemoryStateBackend\n",
    );
  });

  it("--json: section, key, value and the file and line it came from", async () => {
    const result = await run(["config", "get-value", "workers", "state_backend", "--json"]);
    expect(JSON.parse(result.stdout)).toEqual({
      section: "workers",
      key: "state_backend",
      value: "@flowstate/backend-memory.MemoryStateBackend",
      source: `${cfg} line 3`,
    });
  });

  it("an AIRFLOW__ variable wins over the file, and --json says so", async () => {
    const env = { AIRFLOW__WORKERS__STATE_BACKEND: "my-plugin.FromEnv" };
    const result = await run(["config", "get-value", "workers", "state_backend", "--json"], env);
    expect(JSON.parse(result.stdout)).toMatchObject({
      value: "my-plugin.FromEnv",
      source: "environment variable AIRFLOW__WORKERS__STATE_BACKEND",
    });
  });

  it("--config reads the file it names", async () => {
    const result = await run([
      "--config",
      "other/staging.cfg",
      "config",
      "get-value",
      "workers",
      "state_backend",
    ]);
    expect(result.stdout).toBe("./staging.js.Backend\n");
  });

  it("an option set nowhere: Airflow's message on stderr, nothing on stdout, exit 1", async () => {
    const result = await run(["config", "get-value", "workers", "no_such_key"]);
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("The option [workers/no_such_key] is not found in config.");
  });

  it("a missing argument is a usage error: exit 2", async () => {
    expect((await run(["config", "get-value", "workers"])).code).toBe(EXIT_USAGE);
  });
});

describe("flowstate config list", () => {
  it("prints INI grouped by section, values as a worker reads them (not masked by default)", async () => {
    const result = await run(["config", "list"]);
    expect(result.code).toBe(EXIT_OK);
    expect(result.stdout).toContain(
      "[workers]\nstate_backend = @flowstate/backend-memory.MemoryStateBackend\n",
    );
    expect(result.stdout).toContain(
      "[api_auth]\njwt_private_key_path =\njwt_secret = a-very-long-secret-that-signs-task-tokens\n",
    );
    expect(result.stdout).toContain("[scheduler]\njob_heartbeat_sec = 5\n");
    expect(result.stdout).toContain("[state_store]\nclear_on_success = False\n");
    const sections = [...result.stdout.matchAll(/^\[(.+)\]$/gm)].map((match) => match[1]);
    expect(sections).toEqual([...sections].sort());
    expect(result.stdout).not.toContain("\u001b[");
  });

  it("--include-sources: a comment line with the file and line, variable or default above each option", async () => {
    const env = { AIRFLOW__STATE_STORE__CLEAR_ON_SUCCESS: "True" };
    const result = await run(["config", "list", "--include-sources"], env);
    expect(result.stdout).toContain(
      `# ${cfg} line 3\nstate_backend = @flowstate/backend-memory.MemoryStateBackend\n`,
    );
    expect(result.stdout).toContain(
      "# environment variable AIRFLOW__STATE_STORE__CLEAR_ON_SUCCESS\nclear_on_success = True\n",
    );
    expect(result.stdout).toContain("# built-in default\ndefault_retention_days = 30\n");
  });

  it("--section: only that section; a section with nothing set: exit 1", async () => {
    const result = await run(["config", "list", "--section", "database"]);
    expect(result.stdout.startsWith("[database]\nsql_alchemy_conn = postgresql://airflow:pa55word@db")).toBe(
      true,
    );
    expect(result.stdout).not.toContain("[workers]");
    const missing = await run(["config", "list", "--section", "nothing_here"]);
    expect(missing.code).toBe(EXIT_FAILURE);
    expect(missing.stderr).toContain("The section [nothing_here] is not found in config.");
  });

  it("--hide-sensitive: credentials hidden, URL passwords and JSON secrets masked, the rest kept", async () => {
    const result = await run(["config", "list", "--hide-sensitive"]);
    expect(result.stdout).toContain("jwt_secret = < hidden >\n");
    expect(result.stdout).toContain("sql_alchemy_conn = postgresql://***@db:5432/airflow\n");
    expect(result.stdout).toContain('state_backend_kwargs = {"bucket": "b", "secret_access_key": "***"}\n');
    expect(result.stdout).toContain("state_backend = @flowstate/backend-memory.MemoryStateBackend\n");
    for (const secret of ["hunter2", "pa55word", "a-very-long-secret"])
      expect(result.stdout).not.toContain(secret);
  });

  it("--json: an array of entries with kind, source and line", async () => {
    const result = await run(["config", "list", "--json", "--section", "workers"]);
    const entries = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(entries.find((entry) => entry.key === "state_backend")).toEqual({
      section: "workers",
      key: "state_backend",
      value: "@flowstate/backend-memory.MemoryStateBackend",
      kind: "file",
      source: `${cfg} line 3`,
      line: 3,
    });
    expect(entries.every((entry) => entry.section === "workers")).toBe(true);
  });

  it("prints a value of several lines on indented lines, and the output reads back as the same options", async () => {
    const multi = join(dir, "other", "multi-line.cfg");
    await writeFile(
      multi,
      '[workers]\nstate_backend = a.B\nstate_backend_kwargs = {\n    "bucket": "b"\n    }\n',
    );
    const listed = await run(["--config", multi, "config", "list", "--section", "workers"]);
    expect(listed.stdout).toContain('state_backend_kwargs = {\n    "bucket": "b"\n    }\n');
    const copy = join(dir, "other", "listed.cfg");
    await writeFile(copy, listed.stdout);
    const values = async (file: string) =>
      (
        JSON.parse(
          (await run(["--config", file, "config", "list", "--json", "--section", "workers"])).stdout,
        ) as Array<{ key: string; value: string }>
      ).map(({ key, value }) => [key, value]);
    expect(await values(copy)).toEqual(await values(multi));
  });

  it("--json --hide-sensitive masks the same values", async () => {
    const result = await run(["config", "list", "--json", "--hide-sensitive"]);
    expect(result.stdout).not.toContain("hunter2");
    expect(result.stdout).toContain('"value": "< hidden >"');
  });
});

describe("flowstate config lint", () => {
  it("no problems: a summary line naming what was checked, exit 0", async () => {
    const result = await run(["config", "lint"]);
    expect(result).toEqual({
      code: EXIT_OK,
      stdout: `No problems found in ${cfg} and the AIRFLOW__ variables.\n`,
      stderr: "",
    });
  });

  it("warnings only: file:line findings with their fix, exit 0", async () => {
    const result = await run(["--config", "other/lint-warnings.cfg", "config", "lint"]);
    const file = join(dir, "other", "lint-warnings.cfg");
    expect(result.code).toBe(EXIT_OK);
    expect(result.stdout).toBe(
      `${file}:2: warning: [workers] state_backnd is not a known option; did you mean state_backend?\n` +
        "    fix: Rename it to state_backend.\n" +
        `0 errors, 1 warning in ${file} and the AIRFLOW__ variables.\n`,
    );
  });

  it("an error: exit 1; variables are reported by name", async () => {
    const env = { AIRFLOW__STATE_STORE__CLEAR_ON_SUCCES: "True" };
    const result = await run(["--config", "other/lint-errors.cfg", "config", "lint"], env);
    const file = join(dir, "other", "lint-errors.cfg");
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.stdout).toContain(
      `${file}:4: error: [state_store] default_retention_days = "forever" is not an integer`,
    );
    expect(result.stdout).toContain(
      "AIRFLOW__STATE_STORE__CLEAR_ON_SUCCES: warning: [state_store] clear_on_succes is not a known option; did you mean clear_on_success?",
    );
    expect(result.stdout).toContain(`1 error, 2 warnings in ${file}`);
  });

  it("--json: the file, the counts and every finding; exit 1 on an error", async () => {
    const result = await run(["--config", "other/lint-errors.cfg", "config", "lint", "--json"]);
    expect(result.code).toBe(EXIT_FAILURE);
    const report = JSON.parse(result.stdout) as {
      file: string;
      errors: number;
      warnings: number;
      findings: unknown[];
    };
    expect(report).toMatchObject({ file: join(dir, "other", "lint-errors.cfg"), errors: 1, warnings: 1 });
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        severity: "error",
        section: "state_store",
        key: "default_retention_days",
        line: 4,
      }),
    );
  });

  it("colours only when asked: FORCE_COLOR on, NO_COLOR off", async () => {
    const argv = ["--config", "other/lint-errors.cfg", "config", "lint"];
    expect((await run(argv, { FORCE_COLOR: "1" })).stdout).toContain("\u001b[");
    expect((await run(argv, { FORCE_COLOR: "1", NO_COLOR: "1" })).stdout).not.toContain("\u001b[");
  });
});

describe("flowstate config: a config file that cannot be read", () => {
  it.each([
    [["config", "get-value", "workers", "state_backend"]],
    [["config", "list"]],
    [["config", "lint"]],
  ])("%j exits 2 naming the file and line", async (argv) => {
    const result = await run(["--config", "other/broken.cfg", ...argv]);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`${join(dir, "other", "broken.cfg")} at line 3`);
  });

  it("a --config file that does not exist exits 2", async () => {
    const result = await run(["--config", "nope.cfg", "config", "list"]);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain("nope.cfg");
  });
});
