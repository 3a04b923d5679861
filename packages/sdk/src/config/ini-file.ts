import { ConfigError } from "@flowstate/shared-state";
import ini from "ini";

/** One option read from an INI text: its value (trimmed, not yet expanded) and its line. */
export interface IniOption {
  value: string;
  /** 1-based line number in the text, for error messages. */
  line: number;
}

/** Options of an INI text by section, then key; both names lower-case. */
export type IniSections = Map<string, Map<string, IniOption>>;

// Characters that the `ini` package would treat as quoting, comments, escapes or arrays inside a
// name; Airflow's section and key names never contain them.
const FORBIDDEN_IN_NAME = /[\s"'#;[\]\\=]/;
const SECTION_HEADER = /^\[([^\]]*)\]$/;

/**
 * Parses airflow.cfg-style INI text with the `ini` package, after a line-by-line check that
 * turns what `ini` would silently skip or misread into a {@link ConfigError} with the line number.
 * Values follow `ini`'s rules: surrounding whitespace is stripped, a quoted value is unquoted
 * (quoted JSON comes back as JSON text), and an unquoted `;` or `#` starts a comment (write
 * `\#`, or quote the value, for a literal one).
 * @param source The file name (or a description of the text) for error messages.
 */
export function parseIni(text: string, source: string): IniSections {
  // Editors on Windows start UTF-8 files with a byte order mark: it is not part of the first line.
  const { lines, iniText } = checkLines(text.replace(/^\uFEFF/, ""), source);
  const parsed = ini.parse(iniText) as Record<string, unknown>;
  const sections: IniSections = new Map();
  for (const [sectionName, body] of Object.entries(parsed)) {
    const section = sectionName.toLowerCase();
    const options = sections.get(section) ?? new Map<string, IniOption>();
    sections.set(section, options);
    for (const [keyName, raw] of Object.entries(body as Record<string, unknown>)) {
      const key = keyName.toLowerCase();
      options.set(key, { value: asText(raw), line: lines.get(lineId(section, key)) ?? 0 });
    }
  }
  return sections;
}

/** `ini` turns true/false/null and quoted JSON into values: give the option back as text. */
function asText(raw: unknown): string {
  return typeof raw === "string" ? raw : JSON.stringify(raw);
}

function lineId(section: string, key: string): string {
  return `${section}\u0000${key}`;
}

interface CheckedText {
  /** Line number of every `section\0key`, lower-case. */
  lines: Map<string, number>;
  /** The text to hand to `ini`, with dots in section names escaped so they are not nested. */
  iniText: string;
}

/** Checks every line is blank, a comment, a `[section]` header or a `key = value` pair. */
function checkLines(text: string, source: string): CheckedText {
  const lines = new Map<string, number>();
  const out: string[] = [];
  let section: string | undefined;
  for (const [index, line] of text.split(/\r\n|\r|\n/).entries()) {
    const fail = (problem: string): never => {
      const shown = JSON.stringify(line);
      throw new ConfigError(`Malformed config file ${source} at line ${index + 1} (${shown}): ${problem}`, {
        source,
      });
    };
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) {
      out.push(line);
    } else if (/^\s/.test(line)) {
      fail(
        "the line is indented. Values cannot continue over several lines; start every key at the line's beginning.",
      );
    } else if (trimmed.startsWith("[")) {
      section = checkSectionHeader(trimmed, fail);
      out.push(`[${section.replaceAll(".", "\\.")}]`);
    } else {
      const key = checkKey(line, section, fail);
      const id = lineId(section?.toLowerCase() ?? "", key.toLowerCase());
      const previous = lines.get(id);
      if (previous !== undefined)
        fail(`key '${key}' is already set at line ${previous} in this section; keep one.`);
      lines.set(id, index + 1);
      out.push(line);
    }
  }
  return { lines, iniText: out.join("\n") };
}

function checkSectionHeader(trimmed: string, fail: (problem: string) => never): string {
  const name = SECTION_HEADER.exec(trimmed)?.[1]?.trim();
  if (name === undefined) fail("a section header must be written [name], with the closing bracket.");
  if (!name) fail("the section name is empty.");
  if (FORBIDDEN_IN_NAME.test(name) || name === "__proto__") fail(`'${name}' is not a valid section name.`);
  return name;
}

function checkKey(line: string, section: string | undefined, fail: (problem: string) => never): string {
  const equals = line.indexOf("=");
  if (equals < 0) {
    const hint = line.includes(":") ? " (write key = value; ':' is not supported)" : "";
    fail(`it is neither a [section] header, a key = value pair, a comment nor blank${hint}.`);
  }
  const key = line.slice(0, equals).trim();
  if (!key) fail("the key before '=' is empty.");
  if (FORBIDDEN_IN_NAME.test(key) || key === "__proto__") fail(`'${key}' is not a valid key name.`);
  if (section === undefined) fail(`key '${key}' comes before any [section] header; put it under one.`);
  return key;
}
