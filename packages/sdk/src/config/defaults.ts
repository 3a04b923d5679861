/** How a built-in configuration option is parsed, for docs and for the reader method to use. */
export type ConfigOptionType = "string" | "integer" | "boolean" | "json-object";

/** One built-in option: its default (as the INI text would spell it), type and meaning. */
export interface ConfigOptionDescription {
  /**
   * The value used when neither the file nor the environment sets the option. `{AIRFLOW_HOME}`
   * is replaced by the folder described on `[database] sql_alchemy_conn`.
   */
  readonly default: string;
  readonly type: ConfigOptionType;
  /** What the option does, for generated docs and `flowstate config` output. */
  readonly description: string;
}

/** Built-in options by section, then key (both lower-case). */
export type ConfigDefaults = Readonly<Record<string, Readonly<Record<string, ConfigOptionDescription>>>>;

/**
 * The one typed description of every built-in configuration key and its default. `Config` falls
 * back to these after the environment and the file, exactly as Airflow falls back to its
 * `config.yml` defaults.
 */
export const CONFIG_DEFAULTS = {
  core: {
    execution_api_server_url: {
      default: "",
      type: "string",
      description:
        "URL of the state API server's Execution API (`@flowstate/api-server`), e.g. " +
        "`http://api-server:8080/execution`: workers on many machines reach the metadata store through it " +
        "with `HttpStateClient`. Empty: the store is used in-process.",
    },
  },
  api_auth: {
    jwt_secret: {
      default: "",
      type: "string",
      description:
        "The state API server's HS256 secret (at least 32 bytes) that signs and checks task tokens. " +
        "Required to run the server unless `jwt_private_key_path` is set; keep it out of workers' configuration.",
    },
    jwt_private_key_path: {
      default: "",
      type: "string",
      description:
        "A PEM (PKCS#8) Ed25519 private key: task tokens are then EdDSA-signed with it and the server " +
        "checks them with its public half; `jwt_secret` is not used. Empty: HS256 with `jwt_secret`.",
    },
  },
  workers: {
    state_backend: {
      default: "",
      type: "string",
      description:
        "Class path of a custom worker-side state backend, `module.ExportName` (e.g. " +
        "`@flowstate/backend-s3.S3StateBackend` or `./backends/mine.js.MyBackend`), resolved from the " +
        "config file's folder. Empty: values go to the metadata store unchanged.",
    },
    state_backend_kwargs: {
      default: "",
      type: "json-object",
      description:
        'A JSON object passed as the first constructor argument of the state backend, e.g. `{"bucket": "b"}`. Empty: `{}`.',
    },
    state_backend_check_on_start: {
      default: "False",
      type: "boolean",
      description:
        "Whether a worker checks its state backend once at start (`checkStateBackendOnStart`): it loads " +
        "`[workers] state_backend`, then writes, reads back and deletes a small value in a scratch scope " +
        "(dag `__flowstate_check__`). A failure stops the worker with the error and its fix, instead of " +
        "failing the first task that touches state. `flowstate backend check` runs the same check on demand.",
    },
  },
  state_store: {
    default_retention_days: {
      default: "30",
      type: "integer",
      description:
        "Days a task or asset state value is kept when `set` is given no retention. `<= 0`: forever.",
    },
    clear_on_success: {
      default: "False",
      type: "boolean",
      description: "Whether a task's state is cleared when the task succeeds.",
    },
    max_value_bytes: {
      default: "65536",
      type: "integer",
      description:
        "Largest plain value (UTF-8 bytes) the state API server accepts without a worker backend; " +
        "larger values need `[workers] state_backend`.",
    },
  },
  database: {
    sql_alchemy_conn: {
      default: "sqlite:///{AIRFLOW_HOME}/airflow.db",
      type: "string",
      description:
        "Metadata store connection URL. `{AIRFLOW_HOME}` in the default is the AIRFLOW_HOME environment " +
        "variable, else the folder of the config file that was read, else `~/airflow` (so a project's " +
        "database lives next to its airflow.cfg). A PostgreSQL URL (`postgresql://user:password@host:5432/db`, " +
        "also `postgres://`, `postgresql+psycopg2://`, `postgresql+psycopg://`) selects PostgreSQL.",
    },
    sql_alchemy_pool_size: {
      default: "10",
      type: "integer",
      description:
        "PostgreSQL only: the most connections one process's store pool opens (Airflow's key; Airflow " +
        "defaults to 5 plus 10 overflow, flowstate has no overflow).",
    },
    statement_timeout_ms: {
      default: "30000",
      type: "integer",
      description:
        "PostgreSQL only: milliseconds one statement may run before the server cancels it " +
        "(`statement_timeout`); `0`: no limit.",
    },
  },
} as const satisfies ConfigDefaults;

/** The built-in description of `[section] key` (lower-case names), if there is one. */
export function builtInOption(section: string, key: string): ConfigOptionDescription | undefined {
  const options = builtInSection(section);
  return Object.hasOwn(options, key) ? options[key] : undefined;
}

/** The built-in options of `section` (lower-case), `{}` when it has none. */
export function builtInSection(section: string): Readonly<Record<string, ConfigOptionDescription>> {
  const all: ConfigDefaults = CONFIG_DEFAULTS;
  return (Object.hasOwn(all, section) ? all[section] : undefined) ?? {};
}
