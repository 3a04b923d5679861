import type { Command } from "commander";
import { loadCliConfig } from "../context.js";
import { CliExit, EXIT_FAILURE } from "../exit.js";
import { type CliIo, colorsFor, writeJson, writeLine } from "../io.js";

/** Options of `flowstate config get-value`. */
export interface GetValueOptions {
  json?: boolean;
}

/**
 * `flowstate config get-value SECTION KEY`: the value a worker reads, exactly, on one line (never
 * masked: a script asked for it). Not set anywhere: Airflow's message on stderr, exit 1.
 */
export async function getValue(
  sectionName: string,
  keyName: string,
  options: GetValueOptions,
  command: Command,
  io: CliIo,
): Promise<void> {
  const config = await loadCliConfig(command, io);
  const [section, key] = [sectionName.trim().toLowerCase(), keyName.trim().toLowerCase()];
  if (!config.has(section, key)) {
    const red = colorsFor(io.stderr, io.env).red;
    writeLine(io.stderr, red(`The option [${section}/${key}] is not found in config.`));
    writeLine(io.stderr, `Run \`flowstate config list --section ${section}\` to see what is set there.`);
    throw new CliExit(EXIT_FAILURE);
  }
  const value = config.get(section, key);
  if (options.json) writeJson(io, { section, key, value, source: config.describeSource(section, key) });
  else writeLine(io.stdout, value);
}
