import type { ConfigOptionEntry } from "@flowstate/sdk";
import type { Command } from "commander";
import { loadCliConfig } from "../context.js";
import { CliExit, EXIT_FAILURE } from "../exit.js";
import { type CliIo, colorsFor, writeJson, writeLine } from "../io.js";
import { maskValue } from "./sensitive.js";

/** Options of `flowstate config list`. */
export interface ListOptions {
  section?: string;
  includeSources?: boolean;
  json?: boolean;
  hideSensitive?: boolean;
}

/**
 * `flowstate config list`: every option set anywhere, as INI grouped by section (the output can be
 * read back as an airflow.cfg), or `--json` entries. `--include-sources` puts a `# <source>` comment
 * line above each option. Values are shown as a worker reads them unless `--hide-sensitive`.
 */
export async function listConfig(options: ListOptions, command: Command, io: CliIo): Promise<void> {
  const config = await loadCliConfig(command, io);
  const section = options.section?.trim().toLowerCase();
  const entries = config.listOptions(section).map((entry) => ({
    ...entry,
    value: options.hideSensitive ? maskValue(entry.key, entry.value) : entry.value,
  }));
  if (section !== undefined && entries.length === 0) {
    writeLine(
      io.stderr,
      colorsFor(io.stderr, io.env).red(`The section [${section}] is not found in config.`),
    );
    throw new CliExit(EXIT_FAILURE);
  }
  if (options.json) writeJson(io, entries.map(jsonEntry));
  else writeIni(entries, options.includeSources === true, io);
}

function jsonEntry(entry: ConfigOptionEntry) {
  const { section, key, value, kind, source, line } = entry;
  return { section, key, value, kind, source, ...(line === undefined ? {} : { line }) };
}

function writeIni(entries: readonly ConfigOptionEntry[], withSources: boolean, io: CliIo): void {
  const colors = colorsFor(io.stdout, io.env);
  let current: string | undefined;
  for (const entry of entries) {
    if (entry.section !== current) {
      if (current !== undefined) writeLine(io.stdout);
      writeLine(io.stdout, colors.bold(`[${entry.section}]`));
      current = entry.section;
    }
    if (withSources) writeLine(io.stdout, colors.dim(`# ${entry.source}`));
    writeLine(io.stdout, `${entry.key} =${iniValue(entry.value)}`);
  }
}

/**
 * ` value`, or nothing for an empty value. A value of several lines continues on indented lines,
 * as airflow.cfg writes it, so the output reads back as the same value.
 */
function iniValue(value: string): string {
  if (value === "") return "";
  return ` ${value.split(/\r\n|\r|\n/).join("\n    ")}`;
}
