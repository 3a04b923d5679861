import { type Config, loadConfig } from "@flowstate/sdk";
import type { Command } from "commander";
import type { CliIo } from "./io.js";

/** The options every command accepts (declared once on the program). */
export interface GlobalOptions {
  /** `--config FILE`: the airflow.cfg to read; else `AIRFLOW_CONFIG`, `$AIRFLOW_HOME/airflow.cfg`, the nearest one. */
  config?: string;
}

/** The configuration a worker in `io.cwd` with `io.env` would read, or the file `--config` names. */
export async function loadCliConfig(command: Command, io: CliIo): Promise<Config> {
  const { config } = command.optsWithGlobals<GlobalOptions>();
  return loadConfig({ cwd: io.cwd, env: io.env, ...(config === undefined ? {} : { file: config }) });
}
