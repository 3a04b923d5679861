import {
  checkStateBackend,
  resetWorkerStateBackendCache,
  type StateBackendCheckReport,
} from "@flowstate/sdk";
import type { Command } from "commander";
import { loadCliConfig } from "../context.js";
import { CliExit, EXIT_FAILURE } from "../exit.js";
import { type CliIo, colorsFor, writeJson, writeLine } from "../io.js";
import { registerBackendNewCommand } from "../scaffold/new-command.js";

/** Options of `flowstate backend check`. */
interface CheckOptions {
  /** `--no-probe` sets it false: only load the backend. */
  probe: boolean;
  json?: boolean;
}

/** Registers `flowstate backend check` and `flowstate backend new`. */
export function registerBackendCommand(program: Command, io: CliIo): void {
  const backend = program
    .command("backend")
    .description("Check the worker state backend, or scaffold a new backend package.");
  backend
    .command("check")
    .description(
      "Load [workers] state_backend as a worker would, say where it came from, then write, read back and delete a value in a scratch scope (dag __flowstate_check__). Exit 1 when it fails.",
    )
    .option("--no-probe", "only load the backend; write nothing")
    .option("--json", "print the report as JSON")
    .action(async (options: CheckOptions, command: Command) => runCheck(options, command, io));
  registerBackendNewCommand(backend, io);
}

async function runCheck(options: CheckOptions, command: Command, io: CliIo): Promise<void> {
  const conf = await loadCliConfig(command, io);
  let report: StateBackendCheckReport;
  try {
    report = await checkStateBackend(conf, { probe: options.probe });
  } finally {
    // The backend stays cached as a worker's would; here the run is over, so close its connections.
    await resetWorkerStateBackendCache().catch(() => undefined);
  }
  if (options.json) writeJson(io, report);
  else printReport(report, io, conf.file);
  if (!report.ok) throw new CliExit(EXIT_FAILURE, report.summary);
}

function printReport(report: StateBackendCheckReport, io: CliIo, file: string | undefined): void {
  const c = colorsFor(io.stdout, io.env);
  const line = (text = "") => writeLine(io.stdout, text);
  line(c.bold("flowstate backend check"));
  line(`  config      ${file ?? "(no airflow.cfg found: defaults and environment)"}`);
  if (!report.configured) {
    line(`  ${report.summary}`);
    return;
  }
  line(`  class path  ${report.classPath}`);
  if (report.source) line(`  set in      ${fileAndLine(report.source)}`);
  if (report.module) {
    line(`  module      ${report.module.file}`);
    if (report.module.packageName) {
      const version = report.module.packageVersion ? `@${report.module.packageVersion}` : "";
      line(`  package     ${report.module.packageName}${version}`);
    }
  }
  if (report.loadMs !== undefined) line(`  ${c.green("✓")} load    ${ms(report.loadMs)}`);
  if (report.probe) {
    const { dagId, runId, taskId, key } = report.probe;
    line(c.dim(`  probe in dag ${dagId}, run ${runId}, task ${taskId}, key ${key}`));
    for (const step of report.probe.steps) {
      const mark = step.ok ? c.green("✓") : c.red("✗");
      line(`  ${mark} ${step.step.padEnd(6)}  ${ms(step.ms)}`);
    }
  }
  if (report.ok) line(c.green(`ok: ${report.summary}`));
  else printFailure(report, io);
}

function printFailure(report: StateBackendCheckReport, io: CliIo): void {
  const failure = report.failure;
  if (!failure) return;
  const c = colorsFor(io.stderr, io.env);
  const line = (text: string) => writeLine(io.stderr, text);
  line(c.red(`✗ ${failure.step} failed: ${failure.error.message}`));
  // A load error's message already quotes its cause: show only what it does not say.
  for (const cause of failure.error.causes) {
    if (!failure.error.message.includes(cause)) line(`  caused by: ${cause}`);
  }
  line(`  ${c.bold("fix:")} ${failure.fix}`);
}

/** `/path/airflow.cfg line 2` as `/path/airflow.cfg:2`, which terminals and editors open at the line. */
function fileAndLine(source: string): string {
  const match = /^(.*) line (\d+)$/.exec(source);
  return match ? `${match[1]}:${match[2]}` : source;
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}
