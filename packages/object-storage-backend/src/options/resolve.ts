import { ConfigError, type ConfigReader } from "@flowstate/shared-state";
import type { ObjectStoreIdentity } from "../types.js";
import type { OptionParser, RawValue } from "./values.js";

const KWARGS = "[workers] state_backend_kwargs";
const KWARGS_WHERE = { source: KWARGS, section: "workers", key: "state_backend_kwargs" };

/** One row of an {@link OptionTable}: an option, its config key, how its value is read, its default. */
export type OptionSpec<O> = {
  [K in keyof O & string]: {
    /** The camelCase name (in kwargs and in the resolved options). */
    name: K;
    /** The snake_case config key (also accepted in kwargs). */
    key: string;
    parse: OptionParser<O[K]>;
    /** The value when the option is set nowhere; without one (and not `required`) it is `undefined`. */
    default?: O[K];
    /** Whether resolving fails when the option is set nowhere (or to `""`). */
    required?: boolean;
  };
}[keyof O & string];

/** Everything a backend declares about its options; {@link resolveOptions} does the rest. */
export interface OptionTable<O> {
  /** The backend's name in messages (`[flowstate] [s3] …`) and the config section read besides the kwargs. */
  store: Pick<ObjectStoreIdentity, "backend" | "configSection">;
  /** Every option, in the order "Known options" lists them. */
  options: readonly OptionSpec<O>[];
  /** Option names people try for credentials: refused with {@link credentialAdvice}, never echoed. */
  credentialNames: RegExp;
  /** Where credentials come from instead, e.g. `The backend uses the AWS SDK's default credential chain (…)`. */
  credentialAdvice: string;
}

/**
 * Merges the constructor's options (the `[workers] state_backend_kwargs` object) over the
 * config's section, checks every value and applies the defaults.
 * @throws ConfigError naming the option, where it came from and what is accepted.
 */
export function resolveOptions<O>(
  table: OptionTable<O>,
  kwargs: unknown,
  config: ConfigReader | undefined,
): O {
  const raw = new Map<string, RawValue>([...fromConfig(table, config), ...fromKwargs(table, kwargs)]);
  const resolved: Record<string, unknown> = {};
  for (const spec of table.options) {
    const value = raw.get(spec.name);
    resolved[spec.name] = value === undefined ? spec.default : spec.parse(value);
  }
  // Checked after every value: a bad value is reported even when a required option is missing too.
  const missing = table.options.find((o) => o.required && (resolved[o.name] ?? "") === "");
  if (missing) {
    throw new ConfigError(
      `[flowstate] [${table.store.backend}] Missing required option \`${missing.name}\`: set [${table.store.configSection}] ${missing.key} or "${missing.name}" in ${KWARGS}`,
      { section: table.store.configSection, key: missing.key },
    );
  }
  return resolved as O;
}

/** Every option name (with its config key where it differs), for "unknown option" messages. */
export function knownOptionNames<O>(table: OptionTable<O>): string {
  return table.options.map((o) => (o.name === o.key ? o.name : `${o.name} (${o.key})`)).join(", ");
}

function fromConfig<O>(table: OptionTable<O>, config: ConfigReader | undefined): Array<[string, RawValue]> {
  const { configSection: section, backend } = table.store;
  const source = config?.file ?? "configuration";
  const entries: Array<[string, RawValue]> = [];
  for (const [key, value] of Object.entries(config?.getSection(section) ?? {})) {
    const where = { source, section, key };
    const label = `[${section}] ${key}`;
    const spec = table.options.find((o) => o.key === key);
    if (!spec) throw unknownOption(table, label, key, where);
    // An INI line `key =` means "not set", as Airflow reads it.
    if (value.trim() !== "") entries.push([spec.name, { value, label, where, backend }]);
  }
  return entries;
}

function fromKwargs<O>(table: OptionTable<O>, kwargs: unknown): Array<[string, RawValue]> {
  if (kwargs === undefined || kwargs === null) return [];
  if (typeof kwargs !== "object" || Array.isArray(kwargs)) {
    const got = Array.isArray(kwargs) ? "an array" : typeof kwargs;
    throw new ConfigError(
      `[flowstate] [${table.store.backend}] Invalid ${KWARGS}: expected a JSON object such as {"bucket": "my-bucket"}, got ${got}.`,
      KWARGS_WHERE,
    );
  }
  const entries = new Map<string, RawValue>();
  for (const [name, value] of Object.entries(kwargs)) {
    const label = `"${name}" in ${KWARGS}`;
    const spec = table.options.find((o) => o.name === name || o.key === name);
    if (!spec) throw unknownOption(table, label, name, KWARGS_WHERE);
    if (value === undefined || value === null) continue;
    if (entries.has(spec.name)) {
      throw new ConfigError(
        `[flowstate] [${table.store.backend}] Option \`${spec.name}\` is given twice in ${KWARGS} (as "${spec.name}" and "${spec.key}"): keep one.`,
        KWARGS_WHERE,
      );
    }
    entries.set(spec.name, { value, label, where: KWARGS_WHERE, backend: table.store.backend });
  }
  return [...entries];
}

/** Never echoes the value: an unknown option may well be a misplaced secret. */
function unknownOption<O>(
  table: OptionTable<O>,
  label: string,
  name: string,
  where: RawValue["where"],
): ConfigError {
  if (table.credentialNames.test(name)) {
    return new ConfigError(
      `[flowstate] [${table.store.backend}] ${label} is not accepted: credentials are never options. ${table.credentialAdvice}; remove the option.`,
      where,
    );
  }
  return new ConfigError(
    `[flowstate] [${table.store.backend}] Unknown option ${label}. Known options: ${knownOptionNames(table)}.`,
    where,
  );
}
