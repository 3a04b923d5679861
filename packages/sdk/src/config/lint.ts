import { ConfigError, isCredentialName, redactSecrets } from "@flowstate/shared-state";
import type { Config, ConfigOptionEntry } from "../config.js";
import { closestNames } from "../did-you-mean.js";
import {
  AIRFLOW_SECTIONS,
  AIRFLOW_SHARED_SECTION_KEYS,
  BACKEND_SECTION,
  KNOWN_BACKEND_SECTIONS,
} from "./airflow-options.js";
import { builtInOption, builtInSection, CONFIG_DEFAULTS } from "./defaults.js";
import { DEPRECATED_OPTIONS, type DeprecatedOption } from "./deprecated.js";

/** One problem {@link lintConfig} found in the configuration. */
export interface ConfigLintFinding {
  /** `error`: a worker would fail or misbehave; `warning`: probably a mistake, ignored at run time. */
  severity: "error" | "warning";
  /** Section name, lower-case. */
  section: string;
  /** Key, lower-case; absent for a finding about a whole section. */
  key?: string;
  /** `/path/airflow.cfg line 3`, `environment variable AIRFLOW__WORKERS__STATE_BACKEND`, or `config text line 3`. */
  source: string;
  /** The config file, for file values (absent for `Config.fromString` text without a file). */
  file?: string;
  /** The line in the file, for file values. */
  line?: number;
  /** The `AIRFLOW__…` variable, for values from the environment. */
  variable?: string;
  /** What is wrong, e.g. `[workers] state_backnd is not a known option; did you mean state_backend?`. */
  message: string;
  /** What to do about it. */
  fix: string;
}

type Finding = ConfigLintFinding;
type Entry = ConfigOptionEntry;

const ENV_SOURCE = "environment variable ";
const FLOWSTATE_SECTIONS = Object.keys(CONFIG_DEFAULTS);

/**
 * Checks what the operator set (the config file and `AIRFLOW__…` variables; built-in defaults are
 * never wrong) and returns the problems, in file order, then the environment's:
 * - a value of the wrong type for its option (integer, boolean, JSON object): error;
 * - an old option Airflow moved (`[core] sql_alchemy_conn`): warning; set together with its new
 *   name to a different value: error, since only one of them can be meant;
 * - an unknown section, or an unknown key in a flowstate section, with "did you mean": warning.
 *
 * Airflow's own sections (`[scheduler]`, `[celery]`, …) and Airflow's keys in the sections both
 * read (`[core] executor`) are not flowstate's: they are not reported. Nor are backend sections
 * (`[s3_state_backend]`): a backend checks its options when it is loaded.
 */
export function lintConfig(config: Config): ConfigLintFinding[] {
  const findings: Finding[] = [];
  const entries = readEntries(config, findings).filter((entry) => entry.kind !== "default");
  const unknownSections = new Map<string, Entry[]>();
  for (const entry of entries) {
    if (isDeprecated(entry)) continue; // reported by deprecatedFindings
    if (builtInOption(entry.section, entry.key)) {
      const problem = typeProblem(config, entry);
      if (problem) findings.push(problem);
    } else if (FLOWSTATE_SECTIONS.includes(entry.section)) {
      const problem = unknownKey(entry);
      if (problem) findings.push(problem);
    } else if (!AIRFLOW_SECTIONS.has(entry.section) && !BACKEND_SECTION.test(entry.section)) {
      unknownSections.set(entry.section, [...(unknownSections.get(entry.section) ?? []), entry]);
    }
  }
  for (const [section, sectionEntries] of unknownSections)
    findings.push(...unknownSection(section, sectionEntries));
  findings.push(...deprecatedFindings(entries));
  return findings.sort(byPlace);
}

/** Every option with its source; a value that cannot be expanded becomes an error finding. */
function readEntries(config: Config, findings: Finding[]): Entry[] {
  try {
    return config.listOptions();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const section = error.section ?? "";
    findings.push({
      severity: "error",
      section,
      ...(error.key === undefined ? {} : { key: error.key }),
      source: error.source ?? config.file ?? "config text",
      message: error.message,
      fix: "Fix the value; the other options are checked once it can be read.",
    });
    return [];
  }
}

/** Where an entry came from, as finding fields. */
function place(entry: Entry): Pick<Finding, "source" | "file" | "line" | "variable"> {
  if (entry.kind === "environment")
    return { source: entry.source, variable: entry.source.slice(ENV_SOURCE.length) };
  const file = fileOf(entry);
  return {
    source: entry.source,
    ...(file === undefined ? {} : { file }),
    ...(entry.line === undefined ? {} : { line: entry.line }),
  };
}

/** The file named by a file entry's source (`/path/airflow.cfg line 3`), unless it is `config text`. */
function fileOf(entry: Entry): string | undefined {
  const file = entry.source.replace(/ line \d+$/, "");
  return file === "config text" ? undefined : file;
}

function finding(entry: Entry, severity: Finding["severity"], message: string, fix: string): Finding {
  return { severity, section: entry.section, key: entry.key, ...place(entry), message, fix };
}

function typeProblem(config: Config, entry: Entry): Finding | undefined {
  const { section, key } = entry;
  const option = builtInOption(section, key);
  const shown = (value: string | undefined) =>
    isCredentialName(key)
      ? "(its value is not shown)"
      : `= ${JSON.stringify(redactSecrets(value ?? entry.value))}`;
  try {
    if (option?.type === "integer") config.getInt(section, key);
    if (option?.type === "boolean") config.getBoolean(section, key);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const integer = option?.type === "integer";
    return finding(
      entry,
      "error",
      `[${section}] ${key} ${shown(error.value)} is not ${integer ? "an integer" : "a boolean"}`,
      integer
        ? `Set it to a whole number, e.g. ${option.default} (the default).`
        : "Set it to True or False.",
    );
  }
  if (option?.type === "json-object") return jsonProblem(entry);
  return undefined;
}

/** A `json-object` option that is not empty and not a JSON object. Its text is never shown: it may hold credentials. */
function jsonProblem(entry: Entry): Finding | undefined {
  if (entry.value === "") return undefined;
  const fix = 'Set it to a JSON object such as {"bucket": "my-bucket"}, or leave it empty.';
  let parsed: unknown;
  try {
    parsed = JSON.parse(entry.value);
  } catch {
    return finding(
      entry,
      "error",
      `[${entry.section}] ${entry.key} is not valid JSON (its text is not shown: it may hold credentials)`,
      fix,
    );
  }
  if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return undefined;
  const got = parsed === null ? "null" : Array.isArray(parsed) ? "an array" : `a ${typeof parsed}`;
  return finding(entry, "error", `[${entry.section}] ${entry.key} must be a JSON object, got ${got}`, fix);
}

/** A key flowstate does not know in a section it reads. In a section Airflow shares, only a near miss of a flowstate key. */
function unknownKey(entry: Entry): Finding | undefined {
  const { section, key } = entry;
  const ours = Object.keys(builtInSection(section)).sort();
  const airflows = AIRFLOW_SHARED_SECTION_KEYS[section];
  if (airflows?.has(key)) return undefined;
  const variant = /^(.+)_(cmd|secret)$/.exec(key);
  if (variant?.[1] !== undefined && ours.includes(variant[1])) {
    const base = variant[1];
    const problem = `flowstate does not read Airflow's _${variant[2]} options, so [${section}] ${base} is not taken from it`;
    return finding(
      entry,
      "warning",
      `[${section}] ${key}: ${problem}`,
      `Set [${section}] ${base} itself (or ${envName(section, base)}).`,
    );
  }
  const near = closestNames(key, ours);
  if (airflows && near.length === 0) return undefined; // Airflow's business, or a key of a newer Airflow
  const known = `[${section}] ${key} is not a known option`;
  if (near[0] === undefined) {
    const fix = `Remove it (flowstate ignores it); [${section}] has: ${ours.join(", ")}.`;
    return finding(entry, "warning", known, fix);
  }
  const fix =
    entry.kind === "environment"
      ? `Rename the variable to ${envName(section, near[0])}.`
      : `Rename it to ${near[0]}.`;
  return finding(entry, "warning", `${known}; did you mean ${near.join(" or ")}?`, fix);
}

/** One finding for a section in the file (at its first key), one per variable naming it. */
function unknownSection(section: string, entries: Entry[]): Finding[] {
  const candidates = [...FLOWSTATE_SECTIONS, ...KNOWN_BACKEND_SECTIONS, ...AIRFLOW_SECTIONS];
  const near = closestNames(section, candidates);
  const suggestion = near.map((name) => `[${name}]`).join(" or ");
  const message = `[${section}] is not a known section${suggestion ? `; did you mean ${suggestion}?` : " (neither flowstate's nor Airflow's)"}`;
  const fix = (entry: Entry): string => {
    if (near[0] === undefined) return "Remove it if it is a typo; flowstate ignores it.";
    if (entry.kind === "environment") return `Rename the variable to ${envName(near[0], entry.key)}.`;
    return `Rename the section to [${near[0]}].`;
  };
  const firstInFile = entries
    .filter((entry) => entry.kind === "file")
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))[0];
  const fromEnv = entries.filter((entry) => entry.kind === "environment");
  return [...(firstInFile ? [firstInFile] : []), ...fromEnv].map((entry) => {
    const { key: _key, ...sectionFinding } = finding(entry, "warning", message, fix(entry));
    return sectionFinding;
  });
}

/** Airflow's variable for `[section] key`. */
function envName(section: string, key: string): string {
  return `AIRFLOW__${section.replaceAll(".", "_").toUpperCase()}__${key.toUpperCase()}`;
}

function isDeprecated(entry: Entry): boolean {
  return DEPRECATED_OPTIONS.some(
    (option) => option.oldSection === entry.section && option.oldKey === entry.key,
  );
}

/** An old option in use: a warning naming the new one; an error when both are set and differ. */
function deprecatedFindings(entries: Entry[]): Finding[] {
  const at = (section: string, key: string) =>
    entries.filter((entry) => entry.section === section && entry.key === key);
  const findings: Finding[] = [];
  for (const option of DEPRECATED_OPTIONS) {
    for (const old of at(option.oldSection, option.oldKey)) {
      // A reader that falls back to the old option reports the old option's source for the new one.
      const current = at(option.section, option.key).find((entry) => entry.source !== old.source);
      findings.push(deprecatedFinding(option, old, current));
    }
  }
  return findings;
}

function deprecatedFinding(option: DeprecatedOption, old: Entry, current: Entry | undefined): Finding {
  const oldName = `[${option.oldSection}] ${option.oldKey}`;
  const newName = `[${option.section}] ${option.key}`;
  const remove = `Remove ${oldName}${old.kind === "environment" ? ` (unset ${old.source.slice(ENV_SOURCE.length)})` : ""}.`;
  if (current === undefined) {
    const move = `Set ${newName} instead (${envName(option.section, option.key)}), and remove ${oldName}.`;
    return finding(
      old,
      "warning",
      `${oldName} is deprecated: Airflow ${option.since} moved it to ${newName}`,
      move,
    );
  }
  if (current.value === old.value) {
    return finding(
      old,
      "warning",
      `${oldName} is deprecated and repeats ${newName} (set in ${current.source})`,
      remove,
    );
  }
  return finding(
    old,
    "error",
    `${oldName} and ${newName} (set in ${current.source}) are both set, to different values; ${newName} is the one read`,
    `${remove} Keep the value you mean in ${newName}.`,
  );
}

/** File findings by line, then environment findings by variable. */
function byPlace(a: Finding, b: Finding): number {
  const rank = (f: Finding) => (f.line !== undefined ? 0 : f.variable !== undefined ? 1 : 2);
  return (
    rank(a) - rank(b) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.variable ?? "").localeCompare(b.variable ?? "") ||
    a.message.localeCompare(b.message)
  );
}
