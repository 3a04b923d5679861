import { ConfigError } from "@flowstate/shared-state";

/** One option read from an INI text: its raw value (not yet interpolated or expanded) and its line. */
export interface IniOption {
  /** As configparser stores it: stripped, continuation lines joined with `\n`, trailing blank lines dropped. */
  value: string;
  /** 1-based line number of the `key = value` line, for error messages. */
  line: number;
}

/** Options of one section by key, keys exactly as written (Airflow keeps their case). */
export type IniSection = Map<string, IniOption>;

/** Sections by name, names exactly as written (configparser's section names are case-sensitive). */
export type IniSections = Map<string, IniSection>;

/** What {@link parseConfigText} reads from an airflow.cfg text. */
export interface ParsedConfigText {
  /** Every section except `[DEFAULT]`, in file order. */
  sections: IniSections;
  /** The `[DEFAULT]` section: its keys appear in every other section that does not set them. */
  defaults: IniSection;
  /** The line of each section's header, for messages. */
  sectionLines: Map<string, number>;
}

/** configparser's `default_section`: the only header spelt this way is the defaults. */
export const DEFAULT_SECTION = "DEFAULT";

// Python's str.isspace() and re's \s: what str.strip() removes and what counts as indentation.
const PY_SPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const LEADING_SPACE = new RegExp(`^[${PY_SPACE}]+`);
const TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`);
// configparser's SECTCRE `\[(?P<header>.+)\]`, matched at the start: greedy, so `[a]b]` is `a]b`
// and `[core] # note` is `core`.
const SECTION_HEADER = /^\[(.+)\]/s;
// Universal newlines, as Python's text files read them.
const LINE_BREAK = /\r\n|\r|\n/;

/** Python's `str.strip()`. */
export function pyStrip(text: string): string {
  return pyRstrip(text.replace(LEADING_SPACE, ""));
}

function pyRstrip(text: string): string {
  return text.replace(TRAILING_SPACE, "");
}

interface Option extends IniOption {
  /** The value's lines until the end of the file joins them. */
  parts: string[];
}

/** The parser's state between lines, as in configparser's `_read`. */
interface ReadState {
  source: string;
  sections: Map<string, Map<string, Option>>;
  defaults: Map<string, Option>;
  sectionLines: Map<string, number>;
  section: { name: string; options: Map<string, Option> } | undefined;
  option: Option | undefined;
  indent: number;
  /** Lines that are neither header, option, comment nor blank (configparser's ParsingError). */
  badLines: { line: number; problem: string }[];
}

/**
 * Parses airflow.cfg text exactly as Airflow's `AirflowConfigParser` (a `configparser.ConfigParser`
 * with default settings and case-preserving keys) reads a file: `=` or `:` between key and value
 * (the first one wins), whole-line `#`/`;` comments (also indented), no inline comments, indented
 * lines continue the previous value, quotes and backslashes kept as written, a section or a key
 * twice refused. `%` interpolation happens later, when a value is read ({@link interpolate}).
 * A UTF-8 byte order mark is dropped (Airflow would refuse the file).
 * @param source The file name (or a description of the text) for error messages.
 * @throws ConfigError naming the source and the line, without the line's value.
 */
export function parseConfigText(text: string, source: string): ParsedConfigText {
  const state: ReadState = {
    source,
    sections: new Map(),
    defaults: new Map(),
    sectionLines: new Map(),
    section: undefined,
    option: undefined,
    indent: 0,
    badLines: [],
  };
  const lines = text.replace(/^\uFEFF/, "").split(LINE_BREAK);
  for (const [index, line] of lines.entries()) readLine(state, line, index + 1);
  // Like configparser, a bad line is reported once the whole file is read, unless a fatal error came first.
  const [first, ...more] = state.badLines;
  if (first) throw malformed(source, first.line, problemWithOthers(first.problem, more));
  return {
    sections: new Map([...state.sections].map(([name, options]) => [name, joined(options)])),
    defaults: joined(state.defaults),
    sectionLines: state.sectionLines,
  };
}

function readLine(state: ReadState, line: string, lineNumber: number): void {
  const stripped = pyStrip(line);
  const comment = stripped.startsWith("#") || stripped.startsWith(";");
  if (comment || stripped === "") {
    // empty_lines_in_values: a blank line (not a comment) may sit inside a multi-line value.
    if (!comment) state.option?.parts.push("");
    return;
  }
  const indent = line.length - line.replace(LEADING_SPACE, "").length;
  if (state.section && state.option && indent > state.indent) {
    state.option.parts.push(stripped);
    return;
  }
  state.indent = indent;
  const header = SECTION_HEADER.exec(stripped);
  if (header?.[1] !== undefined) openSection(state, header[1], lineNumber);
  else readOption(state, stripped, lineNumber);
}

function openSection(state: ReadState, name: string, lineNumber: number): void {
  state.option = undefined;
  if (name === DEFAULT_SECTION) {
    state.section = { name, options: state.defaults };
    return;
  }
  const previous = state.sectionLines.get(name);
  if (previous !== undefined) {
    throw malformed(
      state.source,
      lineNumber,
      `section [${name}] is already defined at line ${previous}; Airflow refuses a section twice. Merge the two into one.`,
    );
  }
  const options = new Map<string, Option>();
  state.sections.set(name, options);
  state.sectionLines.set(name, lineNumber);
  state.section = { name, options };
}

function readOption(state: ReadState, stripped: string, lineNumber: number): void {
  const delimiter = stripped.search(/[=:]/);
  const key = delimiter < 0 ? undefined : pyRstrip(stripped.slice(0, delimiter));
  if (!state.section) {
    const what = key ? `key '${key}'` : "this line";
    const fix =
      stripped.startsWith("[") && key === undefined
        ? " A section header needs its closing bracket: [name]."
        : "";
    throw malformed(
      state.source,
      lineNumber,
      `${what} comes before any [section] header. Put it under one, e.g. [core].${fix}`,
    );
  }
  if (key === undefined) {
    const fix = stripped.startsWith("[")
      ? "A section header needs its closing bracket: [name]"
      : "Add `= value`, or indent it to continue the value above";
    state.badLines.push({
      line: lineNumber,
      problem: `it is neither a [section] header, a \`key = value\` (or \`key: value\`) option, a comment nor blank. ${fix}`,
    });
    return;
  }
  if (key === "")
    state.badLines.push({ line: lineNumber, problem: "the key before the `=` or `:` is empty" });
  const { name, options } = state.section;
  const previous = options.get(key);
  if (previous) {
    throw malformed(
      state.source,
      lineNumber,
      `key '${key}' is already set in [${name}] at line ${previous.line}; Airflow refuses a key twice in one section. Keep one.`,
    );
  }
  const option: Option = { value: "", line: lineNumber, parts: [pyStrip(stripped.slice(delimiter + 1))] };
  options.set(key, option);
  // configparser continues only a named option: after `= value` nothing continues.
  state.option = key === "" ? undefined : option;
}

/** configparser's `_join_multiline_values`: lines joined with `\n`, trailing blank lines dropped. */
function joined(options: Map<string, Option>): IniSection {
  return new Map(
    [...options].map(([key, option]) => [
      key,
      { value: pyRstrip(option.parts.join("\n")), line: option.line },
    ]),
  );
}

function problemWithOthers(problem: string, more: { line: number }[]): string {
  if (more.length === 0) return `${problem}.`;
  return `${problem}. (Lines ${more.map((bad) => bad.line).join(", ")} have the same kind of problem.)`;
}

function malformed(source: string, line: number, problem: string): ConfigError {
  return new ConfigError(`Malformed config file ${source} at line ${line}: ${problem}`, { source });
}
