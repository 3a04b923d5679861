import { homedir } from "node:os";

/** Environment variables as `process.env` holds them. */
export type Environment = Record<string, string | undefined>;

// Python's os.path.expandvars: `$NAME` or `${NAME}`, NAME made of word characters.
const VARIABLE = /\$(\w+|\{[^}]*\})/g;
// Airflow expands until nothing changes; a value that refers to itself (A="x$A") never settles.
const MAX_EXPANSIONS = 20;

/** The home folder for `~`: `HOME` from `env`, else the operating system's. */
export function homeDir(env: Environment): string {
  return envValue(env, "HOME") || homedir();
}

/**
 * Airflow's `expand_env_var`: replaces `$VAR` and `${VAR}` with values from `env` (an unknown
 * variable is left as written) and a leading `~` with the home folder, repeatedly until the
 * value stops changing. `~user` is left as written.
 * @returns the expanded value, or `undefined` when it keeps growing (a variable refers to itself).
 */
export function expandValue(value: string, env: Environment): string | undefined {
  if (!value.includes("$") && !value.startsWith("~")) return value;
  let current = value;
  for (let round = 0; round < MAX_EXPANSIONS; round++) {
    const next = expandHome(expandVariables(current, env), env);
    if (next === current) return next;
    current = next;
  }
  return undefined;
}

function expandVariables(value: string, env: Environment): string {
  return value.replace(VARIABLE, (written, name: string) => {
    const bare = name.startsWith("{") ? name.slice(1, -1) : name;
    return envValue(env, bare) ?? written;
  });
}

/** `env[name]`, ignoring what an object inherits (`constructor`, `toString`). */
export function envValue(env: Environment, name: string): string | undefined {
  // One read (process.env answers each from the C++ environment): what an object inherits
  // (`constructor`, `toString`, `__proto__`) is never a string.
  const value = env[name];
  return typeof value === "string" ? value : undefined;
}

function expandHome(value: string, env: Environment): string {
  if (value !== "~" && !value.startsWith("~/")) return value;
  return homeDir(env) + value.slice(1);
}
