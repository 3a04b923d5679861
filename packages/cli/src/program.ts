import { FlowstateError } from "@flowstate/shared-state";
import { Command, CommanderError } from "commander";
import { registerApiServerCommand } from "./commands/api-server.js";
import { registerAssetStateCommand } from "./commands/asset-state.js";
import { registerBackendCommand } from "./commands/backend.js";
import { registerConfigCommand } from "./commands/config.js";
import { registerDbCommand } from "./commands/db.js";
import { registerStateCommand } from "./commands/state.js";
import { registerTokenCommand } from "./commands/token.js";
import { CliExit, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./exit.js";
import { type CliIo, colorsFor, processIo, writeLine } from "./io.js";
import { VERSION } from "./version.js";

/** The `flowstate` program with every command, writing to `io`. Commander never exits the process. */
export function createProgram(io: CliIo): Command {
  const program = new Command("flowstate")
    .description(
      "Operate flowstate: read the config, check the state backend, look at and clear task state, maintain the store.",
    )
    .version(VERSION, "-V, --version")
    .option(
      "-c, --config <file>",
      "the airflow.cfg to read (default: AIRFLOW_CONFIG, $AIRFLOW_HOME/airflow.cfg, or the nearest airflow.cfg above the current folder)",
    )
    .showHelpAfterError("(run with --help for usage)")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(colorsFor(io.stderr, io.env).red(text)),
    });
  // Commands made with .command() copy the exit override and output settings above.
  registerConfigCommand(program, io);
  registerBackendCommand(program, io);
  registerStateCommand(program, io);
  registerAssetStateCommand(program, io);
  registerDbCommand(program, io);
  registerApiServerCommand(program, io);
  registerTokenCommand(program, io);
  return program;
}

/**
 * Runs `flowstate` with `argv` (the arguments after the program name) and returns the exit code
 * (see `exit.ts`): errors are printed to `io.stderr`, never thrown.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return EXIT_OK;
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CliExit) return error.code;
  if (error instanceof CommanderError) {
    // Commander has printed the message (or the help/version it was asked for).
    return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  const red = colorsFor(io.stderr, io.env).red;
  const message = error instanceof Error ? error.message : String(error);
  writeLine(io.stderr, red(`error: ${message}`));
  for (const cause of causes(error)) writeLine(io.stderr, `  caused by: ${cause}`);
  if (!(error instanceof FlowstateError)) return EXIT_FAILURE;
  return error.code === "FLOWSTATE_CONFIG" ? EXIT_USAGE : EXIT_FAILURE;
}

/** The messages of an error's `cause` chain (at most 5), for one line each. */
function causes(error: unknown): string[] {
  const out: string[] = [];
  let current = error instanceof Error ? error.cause : undefined;
  while (current !== undefined && out.length < 5) {
    out.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return out;
}
