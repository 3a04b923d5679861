import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ConfigError } from "@flowstate/shared-state";
import { type CosmiconfigResult, cosmiconfig, defaultLoaders, type Loader } from "cosmiconfig";
import { type Environment, envValue, expandValue } from "./expand.js";

/** The file name Airflow reads and this search looks for. */
export const CONFIG_FILE_NAME = "airflow.cfg";

/** A config file that was found and read. */
export interface ConfigFileText {
  /** Absolute path of the file. */
  file: string;
  /** Its text (`""` when the file is empty). */
  text: string;
}

/** Where {@link findConfigFile} looks, besides the search upward from `cwd`. */
export interface FindConfigFileOptions {
  cwd: string;
  env: Environment;
  /** A file named by the caller; it must exist. */
  file?: string | undefined;
}

// Every file is INI, whatever its extension: hand cosmiconfig's parsing step the text unchanged
// and parse it ourselves, so errors carry line numbers.
const readText: Loader = (_filepath, content) => content;
const INI_LOADERS = Object.fromEntries(
  [...Object.keys(defaultLoaders), "noExt", "default"].map((extension) => [extension, readText]),
);

/**
 * Finds the configuration file as Airflow does: `file`, else the `AIRFLOW_CONFIG` file, else
 * `$AIRFLOW_HOME/airflow.cfg` when it exists, else the nearest `airflow.cfg` in `cwd` or a folder
 * above it. `undefined` when there is none. `~/airflow/airflow.cfg` is read only through
 * `AIRFLOW_HOME`, so that a process outside any project stays independent of the home folder.
 * @throws ConfigError when `file` or `AIRFLOW_CONFIG` names a file that cannot be read.
 */
export async function findConfigFile(options: FindConfigFileOptions): Promise<ConfigFileText | undefined> {
  const { cwd, env } = options;
  if (options.file !== undefined) return readNamedFile(resolve(cwd, options.file), "the `file` option");
  const named = envPath(env, "AIRFLOW_CONFIG", cwd);
  if (named !== undefined) return readNamedFile(named, "the AIRFLOW_CONFIG environment variable");
  const home = envPath(env, "AIRFLOW_HOME", cwd);
  if (home !== undefined && existsSync(join(home, CONFIG_FILE_NAME))) {
    return readNamedFile(join(home, CONFIG_FILE_NAME), "AIRFLOW_HOME");
  }
  return searchUpward(resolve(cwd));
}

/** An environment variable holding a path: expanded (`~`, `$VAR`) and made absolute. */
export function envPath(env: Environment, name: string, cwd: string): string | undefined {
  const raw = envValue(env, name)?.trim();
  if (!raw) return undefined;
  return resolve(cwd, expandValue(raw, env) ?? raw);
}

function explorer() {
  // searchStrategy "none" searches one folder; the walk upward is ours, because cosmiconfig's
  // "global" strategy would also read ~/.config/airflow/config*, which Airflow never reads.
  return cosmiconfig("airflow", {
    searchPlaces: [CONFIG_FILE_NAME],
    loaders: INI_LOADERS,
    searchStrategy: "none",
    ignoreEmptySearchPlaces: false,
    cache: false,
  });
}

async function searchUpward(start: string): Promise<ConfigFileText | undefined> {
  const search = explorer();
  for (let folder = start; ; folder = dirname(folder)) {
    const found = toFileText(await search.search(folder));
    if (found || dirname(folder) === folder) return found;
  }
}

async function readNamedFile(file: string, namedBy: string): Promise<ConfigFileText> {
  try {
    const found = toFileText(await explorer().load(file));
    if (found) return found;
  } catch (error) {
    throw unreadable(file, namedBy, error);
  }
  throw unreadable(file, namedBy, undefined);
}

function toFileText(result: CosmiconfigResult): ConfigFileText | undefined {
  if (!result) return undefined;
  return { file: result.filepath, text: typeof result.config === "string" ? result.config : "" };
}

function unreadable(file: string, namedBy: string, cause: unknown): ConfigError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const problem =
    code === "ENOENT"
      ? "does not exist"
      : code === "EISDIR"
        ? "is a folder, not a file"
        : `could not be read (${cause instanceof Error ? cause.message : String(cause)})`;
  return new ConfigError(
    `Config file ${file}, named by ${namedBy}, ${problem}. Create it, or point ${namedBy} at an existing airflow.cfg.`,
    { source: file },
    { cause },
  );
}
