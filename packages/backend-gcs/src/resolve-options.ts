import { ConfigError, type ConfigReader } from "@flowstate/shared-state";
import {
  ADC_HINT,
  bucketName,
  endpointUrl,
  integerAtLeast,
  type OptionParser,
  oneOf,
  prefixPath,
  projectId,
  type RawValue,
} from "./option-values.js";
import { GCS_DEFAULTS, type ResolvedGcsOptions } from "./options.js";

/** The config section the backend reads besides its kwargs. */
export const CONFIG_SECTION = "gcs_state_backend";
const KWARGS = "[workers] state_backend_kwargs";
const KWARGS_WHERE = { source: KWARGS, section: "workers", key: "state_backend_kwargs" };
// Option names people try for credentials: they get a pointer to Application Default Credentials.
const CREDENTIAL_NAMES = /credential|key.?file|private.?key|client.?email|secret|token|password/i;

type OptionName = keyof ResolvedGcsOptions;

interface OptionSpec {
  name: OptionName;
  /** The snake_case config key (also accepted in kwargs). */
  key: string;
  parse: OptionParser<unknown>;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: "bucket", key: "bucket", parse: bucketName },
  { name: "prefix", key: "prefix", parse: prefixPath },
  { name: "projectId", key: "project_id", parse: projectId },
  { name: "apiEndpoint", key: "api_endpoint", parse: endpointUrl },
  { name: "resumableThreshold", key: "resumable_threshold", parse: integerAtLeast(1) },
  { name: "compression", key: "compression", parse: oneOf("none", "gzip", "brotli") },
];

/**
 * Merges the constructor's options (the `[workers] state_backend_kwargs` object) over the
 * config's `[gcs_state_backend]` section, checks every value and applies the defaults.
 * @throws ConfigError naming the option, where it came from and what is accepted.
 */
export function resolveGcsOptions(kwargs: unknown, config: ConfigReader | undefined): ResolvedGcsOptions {
  const raw = new Map<OptionName, RawValue>([...fromConfig(config), ...fromKwargs(kwargs)]);
  const resolved: Record<string, unknown> = { ...GCS_DEFAULTS, projectId: undefined, apiEndpoint: undefined };
  for (const spec of OPTIONS) {
    const value = raw.get(spec.name);
    if (value !== undefined) resolved[spec.name] = spec.parse(value);
  }
  if (!resolved.bucket) {
    throw new ConfigError(
      `[flowstate] [gcs] Missing required option \`bucket\`: set [${CONFIG_SECTION}] bucket or "bucket" in ${KWARGS}`,
      { section: CONFIG_SECTION, key: "bucket" },
    );
  }
  return resolved as unknown as ResolvedGcsOptions;
}

/** Every option name (with its config key where it differs), for "unknown option" messages. */
export function knownOptionNames(): string {
  return OPTIONS.map((o) => (o.name === o.key ? o.name : `${o.name} (${o.key})`)).join(", ");
}

function fromConfig(config: ConfigReader | undefined): Array<[OptionName, RawValue]> {
  const section = config?.getSection(CONFIG_SECTION) ?? {};
  const source = config?.file ?? "configuration";
  const entries: Array<[OptionName, RawValue]> = [];
  for (const [key, value] of Object.entries(section)) {
    const where = { source, section: CONFIG_SECTION, key };
    const label = `[${CONFIG_SECTION}] ${key}`;
    const spec = OPTIONS.find((o) => o.key === key);
    if (!spec) throw unknownOption(label, key, where);
    // An INI line `key =` means "not set", as Airflow reads it.
    if (value.trim() !== "") entries.push([spec.name, { value, label, where }]);
  }
  return entries;
}

function fromKwargs(kwargs: unknown): Array<[OptionName, RawValue]> {
  if (kwargs === undefined || kwargs === null) return [];
  if (typeof kwargs !== "object" || Array.isArray(kwargs)) {
    const got = Array.isArray(kwargs) ? "an array" : typeof kwargs;
    throw new ConfigError(
      `[flowstate] [gcs] Invalid ${KWARGS}: expected a JSON object such as {"bucket": "my-bucket"}, got ${got}.`,
      KWARGS_WHERE,
    );
  }
  const entries = new Map<OptionName, RawValue>();
  for (const [name, value] of Object.entries(kwargs)) {
    const label = `"${name}" in ${KWARGS}`;
    const spec = OPTIONS.find((o) => o.name === name || o.key === name);
    if (!spec) throw unknownOption(label, name, KWARGS_WHERE);
    if (value === undefined || value === null) continue;
    if (entries.has(spec.name)) {
      throw new ConfigError(
        `[flowstate] [gcs] Option \`${spec.name}\` is given twice in ${KWARGS} (as "${spec.name}" and "${spec.key}"): keep one.`,
        KWARGS_WHERE,
      );
    }
    entries.set(spec.name, { value, label, where: KWARGS_WHERE });
  }
  return [...entries];
}

/** Never echoes the value: an unknown option may well be a misplaced secret. */
function unknownOption(label: string, name: string, where: RawValue["where"]): ConfigError {
  if (CREDENTIAL_NAMES.test(name)) {
    return new ConfigError(
      `[flowstate] [gcs] ${label} is not accepted: credentials are never options. The backend uses Google's Application Default Credentials (${ADC_HINT}); remove the option.`,
      where,
    );
  }
  return new ConfigError(
    `[flowstate] [gcs] Unknown option ${label}. Known options: ${knownOptionNames()}.`,
    where,
  );
}
