import { type Config, type ConfigLintFinding, lintConfig } from "@flowstate/sdk";
import type { Command } from "commander";
import { loadCliConfig } from "../context.js";
import { CliExit, EXIT_FAILURE } from "../exit.js";
import { plural } from "../format.js";
import { type CliIo, colorsFor, writeJson, writeLine } from "../io.js";

/** Options of `flowstate config lint`. */
export interface LintOptions {
  json?: boolean;
}

/**
 * `flowstate config lint`: the problems in the config file and the `AIRFLOW__…` variables, one
 * `file:line: severity: message` line each with its fix below, then a summary. Exit 1 when any is
 * an error, 0 when there are only warnings or none.
 */
export async function lintCommand(options: LintOptions, command: Command, io: CliIo): Promise<void> {
  const config = await loadCliConfig(command, io);
  const findings = lintConfig(config);
  const errors = findings.filter((finding) => finding.severity === "error").length;
  const warnings = findings.length - errors;
  if (options.json) {
    writeJson(io, { file: config.file ?? null, errors, warnings, findings });
  } else {
    for (const finding of findings) writeFinding(finding, io);
    writeLine(io.stdout, summary(config, errors, warnings));
  }
  if (errors > 0) throw new CliExit(EXIT_FAILURE);
}

function writeFinding(finding: ConfigLintFinding, io: CliIo): void {
  const colors = colorsFor(io.stdout, io.env);
  const severity = finding.severity === "error" ? colors.red(colors.bold("error")) : colors.yellow("warning");
  writeLine(io.stdout, `${where(finding)}: ${severity}: ${finding.message}`);
  writeLine(io.stdout, colors.dim(`    fix: ${finding.fix}`));
}

/** `file:line` (as compilers print it, so editors jump there), the variable, or the source. */
function where(finding: ConfigLintFinding): string {
  if (finding.file !== undefined && finding.line !== undefined) return `${finding.file}:${finding.line}`;
  return finding.variable ?? finding.source;
}

function summary(config: Config, errors: number, warnings: number): string {
  const checked = config.file
    ? `${config.file} and the AIRFLOW__ variables`
    : "the AIRFLOW__ variables (no airflow.cfg found)";
  if (errors + warnings === 0) return `No problems found in ${checked}.`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")} in ${checked}.`;
}
