import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Config, type ConfigLintFinding, lintConfig, loadConfig } from "../src/index.js";

const FILE = "/srv/project/airflow.cfg";

/** Findings for `text` as the file /srv/project/airflow.cfg, with exactly `env`. */
function lint(text: string, env: Record<string, string> = {}): ConfigLintFinding[] {
  return lintConfig(Config.fromString(text, { file: FILE, env }));
}

describe("lintConfig: a whole pasted airflow.cfg", () => {
  it("reports nothing for flowstate's options next to Airflow's own sections and keys", () => {
    const text = [
      "[core]",
      "executor = CeleryExecutor",
      "dags_folder = /opt/airflow/dags",
      "fernet_key = abc",
      "[database]",
      "sql_alchemy_conn = postgresql://airflow:pw@db/airflow",
      "sql_alchemy_pool_recycle = 1800",
      "sql_alchemy_pool_size = 5",
      "[workers]",
      "state_backend = @flowstate/backend-s3.S3StateBackend",
      'state_backend_kwargs = {"bucket": "b"}',
      "min_heartbeat_interval = 5",
      "[state_store]",
      "default_retention_days = -1",
      "clear_on_success = t",
      "[scheduler]",
      "job_heartbeat_sec = 5",
      "[celery]",
      "broker_url = redis://redis:6379/0",
      "[webserver]",
      "secret_key = x",
      "[s3_state_backend]",
      "bucket = b",
    ].join("\n");
    const env = { AIRFLOW__SCHEDULER__PARSING_PROCESSES: "4", AIRFLOW__CORE__LOAD_EXAMPLES: "False" };
    expect(lint(text, env)).toEqual([]);
  });

  it("never reports the built-in defaults (no file, no variables)", () => {
    expect(lintConfig(Config.fromString("", { env: {} }))).toEqual([]);
  });
});

describe("lintConfig: unknown keys and sections", () => {
  it("a misspelt key in [workers]: a warning at its line with did-you-mean", () => {
    expect(lint("[workers]\nstate_backnd = my-plugin.Backend\n")).toEqual([
      {
        severity: "warning",
        section: "workers",
        key: "state_backnd",
        source: `${FILE} line 2`,
        file: FILE,
        line: 2,
        message: "[workers] state_backnd is not a known option; did you mean state_backend?",
        fix: "Rename it to state_backend.",
      },
    ]);
  });

  it("a misspelt key from an AIRFLOW__ variable: the variable, and its correct name", () => {
    const [finding] = lint("", { AIRFLOW__STATE_STORE__DEFAULT_RETENTION_DAY: "7" });
    expect(finding).toMatchObject({
      severity: "warning",
      variable: "AIRFLOW__STATE_STORE__DEFAULT_RETENTION_DAY",
      source: "environment variable AIRFLOW__STATE_STORE__DEFAULT_RETENTION_DAY",
      message:
        "[state_store] default_retention_day is not a known option; did you mean default_retention_days?",
      fix: "Rename the variable to AIRFLOW__STATE_STORE__DEFAULT_RETENTION_DAYS.",
    });
  });

  it("a far-off key in flowstate's own [state_store]: a warning listing the keys it has", () => {
    const [finding] = lint("[state_store]\nfrobnicate = 1\n");
    expect(finding?.message).toBe("[state_store] frobnicate is not a known option");
    expect(finding?.fix).toContain("clear_on_success, default_retention_days, max_value_bytes");
  });

  it("a far-off key in a section Airflow shares is Airflow's business: nothing", () => {
    expect(lint("[workers]\nsome_future_airflow_option = 1\n[core]\nfancy = 2\n")).toEqual([]);
  });

  it("Airflow's _cmd and _secret variants of a flowstate key: a warning that they are not read", () => {
    const [finding] = lint("[database]\nsql_alchemy_conn_cmd = cat /run/secrets/db\n");
    expect(finding?.severity).toBe("warning");
    expect(finding?.message).toContain("flowstate does not read Airflow's _cmd options");
    expect(finding?.fix).toBe(
      "Set [database] sql_alchemy_conn itself (or AIRFLOW__DATABASE__SQL_ALCHEMY_CONN).",
    );
  });

  it("a misspelt section: one warning at its first key, with did-you-mean", () => {
    const findings = lint("[workers]\n\n[state_stor]\nclear_on_success = True\ndefault_retention_days = 3\n");
    expect(findings).toEqual([
      {
        severity: "warning",
        section: "state_stor",
        source: `${FILE} line 4`,
        file: FILE,
        line: 4,
        message: "[state_stor] is not a known section; did you mean [state_store]?",
        fix: "Rename the section to [state_store].",
      },
    ]);
  });

  it("a section nobody knows, from the file and from a variable", () => {
    const findings = lint("[acme_corp]\nflag = 1\n", { AIRFLOW__S3_STATE_BACKND__BUCKET: "b" });
    expect(findings.map((f) => [f.section, f.message, f.variable])).toEqual([
      ["acme_corp", "[acme_corp] is not a known section (neither flowstate's nor Airflow's)", undefined],
      [
        "s3_state_backnd",
        "[s3_state_backnd] is not a known section; did you mean [s3_state_backend]?",
        "AIRFLOW__S3_STATE_BACKND__BUCKET",
      ],
    ]);
    expect(findings[1]?.fix).toBe("Rename the variable to AIRFLOW__S3_STATE_BACKEND__BUCKET.");
  });
});

describe("lintConfig: values of the wrong type", () => {
  it("an integer and a boolean that are not: errors naming the value and the fix", () => {
    const findings = lint("[state_store]\ndefault_retention_days = thirty\nclear_on_success = maybe\n");
    expect(findings.map((f) => [f.severity, f.line, f.message, f.fix])).toEqual([
      [
        "error",
        2,
        '[state_store] default_retention_days = "thirty" is not an integer',
        "Set it to a whole number, e.g. 30 (the default).",
      ],
      ["error", 3, '[state_store] clear_on_success = "maybe" is not a boolean', "Set it to True or False."],
    ]);
  });

  it("a variable of the wrong type overriding a good file value: the variable is reported", () => {
    const findings = lint("[database]\nstatement_timeout_ms = 100\n", {
      AIRFLOW__DATABASE__STATEMENT_TIMEOUT_MS: "1.5",
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: "error",
      variable: "AIRFLOW__DATABASE__STATEMENT_TIMEOUT_MS",
      message: '[database] statement_timeout_ms = "1.5" is not an integer',
    });
  });

  it("state_backend_kwargs that is not a JSON object, without showing its text", () => {
    const broken = lint('[workers]\nstate_backend_kwargs = {"secret_access_key": "hunter2"\n');
    expect(broken[0]?.severity).toBe("error");
    expect(broken[0]?.message).toContain("is not valid JSON");
    expect(JSON.stringify(broken)).not.toContain("hunter2");
    const array = lint("[workers]\nstate_backend_kwargs = [1, 2]\n");
    expect(array[0]?.message).toBe("[workers] state_backend_kwargs must be a JSON object, got an array");
  });
});

describe("lintConfig: deprecated options", () => {
  it("[core] sql_alchemy_conn alone: a warning naming [database] sql_alchemy_conn", () => {
    const [finding] = lint("[core]\nsql_alchemy_conn = sqlite:////tmp/a.db\n");
    expect(finding).toMatchObject({
      severity: "warning",
      section: "core",
      key: "sql_alchemy_conn",
      line: 2,
      message: "[core] sql_alchemy_conn is deprecated: Airflow 2.3.0 moved it to [database] sql_alchemy_conn",
    });
    expect(finding?.fix).toContain(
      "Set [database] sql_alchemy_conn instead (AIRFLOW__DATABASE__SQL_ALCHEMY_CONN)",
    );
  });

  it("both names set to the same value: a warning to remove the old one", () => {
    const findings = lint("[core]\nsql_alchemy_pool_size = 4\n[database]\nsql_alchemy_pool_size = 4\n");
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: "warning", section: "core", line: 2 });
    expect(findings[0]?.message).toContain(
      `repeats [database] sql_alchemy_pool_size (set in ${FILE} line 4)`,
    );
  });

  it("both names set to different values: an error, and no password in it", () => {
    const findings = lint("[core]\nsql_alchemy_conn = postgresql://u:hunter2@old/db\n", {
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: "postgresql://u:hunter2@new/db",
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: "error", section: "core", key: "sql_alchemy_conn" });
    expect(findings[0]?.message).toContain("environment variable AIRFLOW__DATABASE__SQL_ALCHEMY_CONN");
    expect(findings[0]?.fix).toContain("Remove [core] sql_alchemy_conn");
    expect(JSON.stringify(findings)).not.toContain("hunter2");
  });

  it("the old name set by a variable: the fix says which variable to unset", () => {
    const findings = lint("[database]\nsql_alchemy_pool_size = 3\n", {
      AIRFLOW__CORE__SQL_ALCHEMY_POOL_SIZE: "9",
    });
    expect(findings[0]?.severity).toBe("error");
    expect(findings[0]?.fix).toContain("unset AIRFLOW__CORE__SQL_ALCHEMY_POOL_SIZE");
  });
});

describe("lintConfig: a real file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "flowstate-lint-"));
    await writeFile(
      join(dir, "airflow.cfg"),
      "# operators' comments\n[workers]\nstate_backend = x.Y\nstate_backnd = x.Y\n\n[state_store]\nmax_value_bytes = big\n",
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reports file findings in line order, then the environment's", async () => {
    const config = await loadConfig({ cwd: dir, env: { AIRFLOW__WORKERS__STATE_BACKEN: "a.B" } });
    const findings = lintConfig(config);
    expect(findings.map((f) => f.file ?? f.variable)).toEqual([
      join(dir, "airflow.cfg"),
      join(dir, "airflow.cfg"),
      "AIRFLOW__WORKERS__STATE_BACKEN",
    ]);
    expect(findings.map((f) => [f.severity, f.line])).toEqual([
      ["warning", 4],
      ["error", 7],
      ["warning", undefined],
    ]);
  });
});
