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
  },
  database: {
    sql_alchemy_conn: {
      default: "sqlite:///{AIRFLOW_HOME}/airflow.db",
      type: "string",
      description:
        "Metadata store connection URL. `{AIRFLOW_HOME}` in the default is the AIRFLOW_HOME environment " +
        "variable, else the folder of the config file that was read, else `~/airflow` (so a project's " +
        "database lives next to its airflow.cfg).",
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
