import { dirname, join, resolve } from "node:path";
import { ConfigError, type ConfigReader } from "@flowstate/shared-state";
import {
  DEFAULT_SECTION,
  type IniSection,
  type ParsedConfigText,
  parseConfigText,
} from "./config/configparser.js";
import { builtInOption, builtInSection, CONFIG_DEFAULTS } from "./config/defaults.js";
import { DEPRECATED_OPTIONS, type DeprecatedOption } from "./config/deprecated.js";
import { type Environment, envValue, expandValue, homeDir } from "./config/expand.js";
import { envPath, findConfigFile } from "./config/find-file.js";
import { InterpolationFailure, interpolate } from "./config/interpolation.js";

export {
  CONFIG_DEFAULTS,
  type ConfigDefaults,
  type ConfigOptionDescription,
  type ConfigOptionType,
} from "./config/defaults.js";

/** Where {@link loadConfig} looks for the configuration and which environment it reads. */
export interface LoadConfigOptions {
  /**
   * Folder to search upward from for `airflow.cfg`, and the `baseDir` when no file is found.
   * @default process.cwd()
   */
  cwd?: string;
  /** Config file to read (relative to `cwd`). It must exist. Wins over `AIRFLOW_CONFIG`. */
  file?: string;
  /**
   * Environment variables: `AIRFLOW_CONFIG`, `AIRFLOW_HOME`, `AIRFLOW__{SECTION}__{KEY}` overrides,
   * and the variables `$VAR` in values expand to. Pass an object to keep tests hermetic.
   * @default process.env
   */
  env?: Record<string, string | undefined>;
}

/** Options of {@link Config.fromString}. */
export interface ConfigFromStringOptions {
  /** The file the text came from: named in errors, and its folder is the default `baseDir`. */
  file?: string;
  /** Folder plugins resolve from. @default the folder of `file`, else `process.cwd()` */
  baseDir?: string;
  /** See {@link LoadConfigOptions.env}. @default process.env */
  env?: Record<string, string | undefined>;
}

/**
 * Reads the configuration as Airflow does and returns it. The file is `options.file`, else the
 * file named by `AIRFLOW_CONFIG`, else `$AIRFLOW_HOME/airflow.cfg` when it exists, else the nearest
 * `airflow.cfg` in `cwd` or a folder above it. No file at all is fine: built-in defaults and the
 * environment apply, `file` is `undefined` and `baseDir` is `cwd`.
 * @throws ConfigError when a named file is missing, or the file is malformed (with its line number).
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<Config> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const found = await findConfigFile({ cwd, env, file: options.file });
  if (!found) return Config.fromString("", { baseDir: cwd, env });
  return Config.fromString(found.text, { file: found.file, env });
}

/** One option as {@link Config.listOptions} reports it. */
export interface ConfigOptionEntry {
  /** Section name, lower-case. */
  section: string;
  /** Key, lower-case. */
  key: string;
  /** The value a worker reads (expanded). */
  value: string;
  /** Where it came from: an `AIRFLOW__…` variable, the config file (or text), or a built-in default. */
  kind: "environment" | "file" | "default";
  /** `/path/airflow.cfg line 3`, `environment variable AIRFLOW__WORKERS__STATE_BACKEND` or `built-in default`. */
  source: string;
  /** The line in the file, for values from it. */
  line?: number;
}

/** A value as read, with where it came from. */
interface ConfigValue {
  kind: "environment" | "file" | "default";
  raw: string;
  /** An INI file (or `config text`), `environment variable AIRFLOW__X__Y`, or `built-in default`. */
  source: string;
  /** For values from the INI text: the line, shown in messages. */
  line?: number;
  /** For values from the INI text: the section as written, whose keys `%(name)s` refers to. */
  section?: string;
  /** The moved option this value was read from, because the current one is set nowhere. */
  movedFrom?: DeprecatedOption;
}

const BOOLEANS = new Map([
  ["t", true],
  ["true", true],
  ["1", true],
  ["f", false],
  ["false", false],
  ["0", false],
]);

/**
 * The airflow.cfg-style configuration: an INI file, overridden by `AIRFLOW__{SECTION}__{KEY}`
 * environment variables, over the built-in {@link CONFIG_DEFAULTS}.
 *
 * The file is read as Airflow's `AirflowConfigParser` (Python's `configparser`) reads it: `key =
 * value` or `key: value`; whole-line `#`/`;` comments only, so `#` and `;` inside a value are part
 * of it; indented lines continue a value (joined with newlines); quotes and backslashes kept as
 * written; a section or a key written twice is an error; `%%` is `%` and `%(name)s` is the value
 * of `name` in the same section or `[DEFAULT]`, whose keys every section of the file inherits.
 * Names are looked up in lower case, as Airflow does: `get("Workers", "State_Backend")` reads
 * `[workers] state_backend`, while a `[Workers]` header or a `State_Backend` key in the file is
 * never read (a warning names them). Values from the file or the environment then have `$VAR`,
 * `${VAR}` and a leading `~` expanded; environment values are not `%`-interpolated.
 *
 * An option Airflow moved ({@link DEPRECATED_OPTIONS}, e.g. `[core] sql_alchemy_conn`) is read
 * under its old name when the new one is set nowhere, with a `DeprecationWarning`.
 *
 * Not supported from Airflow: the `_CMD` and `_SECRET` variants of options and environment variables.
 */
export class Config implements ConfigReader {
  /** The config file that was read (absolute), if any. */
  readonly file: string | undefined;
  /** The folder of the config file, else the working directory. Plugins resolve from here. */
  readonly baseDir: string;
  readonly #parsed: ParsedConfigText;
  readonly #env: Environment;
  readonly #textSource: string;
  /** Moved options already warned about: one warning each per configuration. */
  readonly #warned = new Set<DeprecatedOption>();

  private constructor(parsed: ParsedConfigText, textSource: string, init: ConfigFromStringOptions) {
    this.#parsed = parsed;
    this.#textSource = textSource;
    this.#env = init.env ?? process.env;
    this.file = init.file === undefined ? undefined : resolve(init.file);
    this.baseDir = resolve(init.baseDir ?? (this.file ? dirname(this.file) : process.cwd()));
  }

  /**
   * A configuration from INI text, for tests and for embedding flowstate in a program that keeps
   * its own configuration. No file is read.
   * @throws ConfigError when the text is malformed (with its line number).
   */
  static fromString(text: string, options: ConfigFromStringOptions = {}): Config {
    const source = options.file === undefined ? "config text" : resolve(options.file);
    const parsed = parseConfigText(text, source);
    warnUnreadNames(parsed, source);
    return new Config(parsed, source, options);
  }

  /**
   * The value of `[section] key`: the environment variable, else the file, else the built-in
   * default, else `fallback`. (A built-in default wins over `fallback`, as in Airflow.)
   * @throws ConfigError when it is set nowhere and there is no `fallback`.
   */
  get(section: string, key: string, options?: { fallback?: string }): string {
    const found = this.#lookup(section, key);
    if (found) return this.#expand(section, key, found);
    if (options?.fallback !== undefined) return options.fallback;
    throw this.#missing(section, key);
  }

  /**
   * Like {@link get}, parsed as a whole number (an optional sign and digits).
   * @throws ConfigError naming where the value came from, the section, the key and the value.
   */
  getInt(section: string, key: string, options?: { fallback?: number }): number {
    const found = this.#lookup(section, key);
    if (!found) {
      if (options?.fallback !== undefined) return options.fallback;
      throw this.#missing(section, key);
    }
    // Python's int(), which Airflow's getint uses, ignores surrounding whitespace.
    const text = this.#expand(section, key, found).trim();
    const number = Number(text);
    if (/^[+-]?\d+$/.test(text) && Number.isSafeInteger(number)) return number;
    throw this.#invalid(section, key, found, text, "is not an integer. Set it to a whole number such as 30");
  }

  /**
   * Like {@link get}, parsed as Airflow parses booleans: `True`/`t`/`1` or `False`/`f`/`0`, in
   * any case, around whitespace; as in Airflow's `getboolean`, a `#` and what follows are ignored
   * (`True # keep`), although `get` keeps them.
   * @throws ConfigError naming where the value came from, the section, the key and the value.
   */
  getBoolean(section: string, key: string, options?: { fallback?: boolean }): boolean {
    const found = this.#lookup(section, key);
    if (!found) {
      if (options?.fallback !== undefined) return options.fallback;
      throw this.#missing(section, key);
    }
    const text = this.#expand(section, key, found);
    const value = BOOLEANS.get(text.split("#")[0]?.trim().toLowerCase() ?? "");
    if (value !== undefined) return value;
    throw this.#invalid(section, key, found, text, "is not a boolean. Set it to True or False");
  }

  /** Whether `[section] key` is set in the environment, the file or the built-in defaults. */
  has(section: string, key: string): boolean {
    return this.#lookup(section, key) !== undefined;
  }

  /**
   * Every key of `section` (lower-case) from the defaults, the file (with the file's `[DEFAULT]`
   * keys, when the file has the section) and the environment, expanded.
   */
  getSection(section: string): Record<string, string> {
    const name = normalizeName(section);
    const prefix = `${envPrefix(name)}__`;
    const inFile = this.#parsed.sections.get(name);
    const keys = new Set([
      ...Object.keys(builtInSection(name)),
      ...[...(inFile?.keys() ?? []), ...(inFile ? this.#parsed.defaults.keys() : [])].filter(isLowerCase),
      ...Object.keys(this.#env)
        .filter((variable) => variable.startsWith(prefix) && variable.length > prefix.length)
        .map((variable) => variable.slice(prefix.length).toLowerCase()),
    ]);
    return Object.fromEntries([...keys].map((key) => [key, this.get(name, key)]));
  }

  /**
   * Every option set anywhere (built-in defaults, the file, `AIRFLOW__…` variables), each with its
   * expanded value and where that value came from, sorted by section then key. Values are not
   * redacted: callers that print them decide what to hide.
   * @param section Only this section's options.
   * @throws ConfigError when a value cannot be expanded (a variable that refers to itself).
   */
  listOptions(section?: string): ConfigOptionEntry[] {
    const sections = section === undefined ? this.#sectionNames() : [normalizeName(section)];
    const entries: ConfigOptionEntry[] = [];
    for (const name of sections.sort()) {
      for (const key of Object.keys(this.getSection(name)).sort()) {
        const found = this.#lookup(name, key);
        if (!found) continue;
        entries.push({
          section: name,
          key,
          value: this.#expand(name, key, found),
          kind: found.kind,
          source: describe(found),
          ...(found.line === undefined ? {} : { line: found.line }),
        });
      }
    }
    return entries;
  }

  /** Section names from the defaults, the file and `AIRFLOW__SECTION__KEY` variables, lower-case. */
  #sectionNames(): string[] {
    // A section the file names in another case is never read (see warnUnreadNames).
    const names = new Set([
      ...Object.keys(CONFIG_DEFAULTS),
      ...[...this.#parsed.sections.keys()].filter(isLowerCase),
    ]);
    for (const variable of Object.keys(this.#env)) {
      const match = /^AIRFLOW__([A-Z0-9_]+?)__[A-Z0-9_]+$/i.exec(variable);
      if (match?.[1]) names.add(match[1].toLowerCase());
    }
    return [...names];
  }

  /**
   * Where the value of `[section] key` comes from, for messages: `/path/airflow.cfg line 3`,
   * `environment variable AIRFLOW__WORKERS__STATE_BACKEND` or `built-in default`, followed by the
   * old option's name when the value comes from a moved one (`/path/airflow.cfg line 3 ([core]
   * sql_alchemy_conn, moved to [database] sql_alchemy_conn in Airflow 2.3.0)`); `undefined` when
   * it is not set.
   */
  describeSource(section: string, key: string): string | undefined {
    const found = this.#lookup(section, key);
    if (!found?.movedFrom) return found && describe(found);
    const { oldSection, oldKey, since } = found.movedFrom;
    return `${describe(found)} ([${oldSection}] ${oldKey}, moved to [${found.movedFrom.section}] ${found.movedFrom.key} in Airflow ${since})`;
  }

  /**
   * The variable, then the file; for an option Airflow moved, then its old name (variable, then
   * file); then the built-in default. (Airflow reads the old variable before the new name in the
   * file; here the new name wins wherever it is set, so one place never hides the other.)
   */
  #lookup(section: string, key: string): ConfigValue | undefined {
    const [s, k] = [normalizeName(section), normalizeName(key)];
    const current = this.#fromEnv(s, k) ?? this.#fromFile(s, k);
    if (current) return current;
    const moved = DEPRECATED_OPTIONS.find((option) => option.section === s && option.key === k);
    const old =
      moved &&
      (this.#fromEnv(moved.oldSection, moved.oldKey) ?? this.#fromFile(moved.oldSection, moved.oldKey));
    if (moved && old) {
      this.#warnMoved(moved);
      return { ...old, movedFrom: moved };
    }
    const builtIn = builtInOption(s, k);
    return builtIn && { kind: "default", raw: builtIn.default, source: "built-in default" };
  }

  #fromEnv(section: string, key: string): ConfigValue | undefined {
    const variable = envVariableName(section, key);
    const raw = envValue(this.#env, variable);
    return raw === undefined
      ? undefined
      : { kind: "environment", raw, source: `environment variable ${variable}` };
  }

  /** configparser's `has_option`: `[DEFAULT]` keys count only in a section the file has. */
  #fromFile(section: string, key: string): ConfigValue | undefined {
    const options = this.#parsed.sections.get(section);
    const option = options && (options.get(key) ?? this.#parsed.defaults.get(key));
    if (!option) return undefined;
    return { kind: "file", raw: option.value, source: this.#textSource, line: option.line, section };
  }

  /** Airflow's `_warn_deprecate`, once per moved option and configuration. */
  #warnMoved(moved: DeprecatedOption): void {
    if (this.#warned.has(moved)) return;
    this.#warned.add(moved);
    const message =
      moved.section === moved.oldSection
        ? `The ${moved.oldKey} option in [${moved.section}] has been renamed to ${moved.key} - the old setting has been used, but please update your config.`
        : `The ${moved.oldKey} option in [${moved.oldSection}] has been moved to the ${moved.key} option in [${moved.section}] - the old setting has been used, but please update your config.`;
    process.emitWarning(message, { type: "DeprecationWarning", code: "FLOWSTATE_DEPRECATED_OPTION" });
  }

  /** The value a reader sees: `%` interpolation for file values (as configparser's `get`), then `$VAR` and `~`. */
  #expand(section: string, key: string, found: ConfigValue): string {
    // Every state call reads a few options: skip the work a plain value does not need.
    if (found.kind === "default")
      return found.raw.includes("{AIRFLOW_HOME}")
        ? found.raw.replaceAll("{AIRFLOW_HOME}", this.#airflowHome())
        : found.raw;
    const text =
      found.kind === "file" && found.raw.includes("%") ? this.#interpolate(section, key, found) : found.raw;
    const expanded = expandValue(text, this.#env);
    if (expanded !== undefined) return expanded;
    throw this.#invalid(
      section,
      key,
      found,
      found.raw,
      "keeps growing when its $VARIABLES are expanded (a variable refers to itself). Fix the variable",
    );
  }

  #interpolate(section: string, key: string, found: ConfigValue): string {
    const options = this.#parsed.sections.get(found.section ?? "");
    const defaults = this.#parsed.defaults;
    try {
      return interpolate(found.raw, (name) => (options?.get(name) ?? defaults.get(name))?.value);
    } catch (error) {
      if (!(error instanceof InterpolationFailure)) throw error;
      // The value is not shown: it may be a password.
      return this.#throwInterpolation(section, key, found, error);
    }
  }

  #throwInterpolation(section: string, key: string, found: ConfigValue, error: InterpolationFailure): never {
    throw new ConfigError(
      `Invalid config value for [${section}] ${key} in ${describe(found)}: ${error.problem} (Airflow's configparser raises ${error.kind} for it).`,
      { source: found.source, section, key },
      { cause: error },
    );
  }

  /** AIRFLOW_HOME for defaults: the variable, else the config file's folder, else `~/airflow`. */
  #airflowHome(): string {
    const fromEnv = envPath(this.#env, "AIRFLOW_HOME", process.cwd());
    return fromEnv ?? (this.file ? dirname(this.file) : join(homeDir(this.#env), "airflow"));
  }

  #missing(section: string, key: string): ConfigError {
    const variable = envVariableName(normalizeName(section), normalizeName(key));
    const where = this.file ?? "the config text";
    return new ConfigError(
      `Missing config option [${section}] ${key}: it is not set in ${where}, in the environment variable ${variable}, or in the built-in defaults. Set it in one of them.`,
      { section, key },
    );
  }

  #invalid(section: string, key: string, found: ConfigValue, value: string, problem: string): ConfigError {
    return new ConfigError(
      `Invalid config value for [${section}] ${key} in ${describe(found)}: ${JSON.stringify(value)} ${problem}.`,
      { source: found.source, section, key, value },
    );
  }
}

/** Airflow's environment variable for `[section] key`: `AIRFLOW__SECTION__KEY`, dots as `_`. */
function envVariableName(section: string, key: string): string {
  return `${envPrefix(section)}__${key.toUpperCase()}`;
}

function envPrefix(section: string): string {
  return `AIRFLOW__${section.replaceAll(".", "_").toUpperCase()}`;
}

function normalizeName(name: string): string {
  return name.trim().toLowerCase();
}

/** Whether Airflow can read a section or key by this name: it looks names up in lower case. */
function isLowerCase(name: string): boolean {
  return name === normalizeName(name);
}

/**
 * One warning listing the sections and keys of the file that no lookup reaches, because Airflow
 * (and so flowstate) looks names up in lower case: `[Workers]` is not `[workers]`.
 */
function warnUnreadNames(parsed: ParsedConfigText, source: string): void {
  const unread: string[] = [];
  const keysOf = (section: string, options: IniSection) => {
    for (const [key, option] of options)
      if (!isLowerCase(key)) unread.push(`[${section}] ${key} (line ${option.line})`);
  };
  keysOf(DEFAULT_SECTION, parsed.defaults);
  for (const [section, options] of parsed.sections) {
    if (isLowerCase(section)) keysOf(section, options);
    else unread.push(`[${section}] (line ${parsed.sectionLines.get(section)})`);
  }
  if (unread.length === 0) return;
  process.emitWarning(
    `${source}: Airflow reads section and key names in lower case only, so these are never read: ${unread.join(", ")}. Write them in lower case.`,
    { code: "FLOWSTATE_CONFIG_NAME_CASE" },
  );
}

function describe(found: ConfigValue): string {
  return found.line === undefined ? found.source : `${found.source} line ${found.line}`;
}
