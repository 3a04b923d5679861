import type { Command } from "commander";
import { type GetValueOptions, getValue } from "../config/get-value.js";
import { type LintOptions, lintCommand } from "../config/lint.js";
import { type ListOptions, listConfig } from "../config/list.js";
import type { CliIo } from "../io.js";

/** Registers `flowstate config get-value|list|lint`, as Airflow's `airflow config`. */
export function registerConfigCommand(program: Command, io: CliIo): void {
  const config = program
    .command("config")
    .description(
      "Read and check the configuration a worker would read (airflow.cfg and AIRFLOW__… variables).",
    );
  config
    .command("get-value")
    .description(
      "Print the value of one option, exactly as a worker reads it. Exit 1 when it is set nowhere.",
    )
    .argument("<section>", "the section, e.g. workers")
    .argument("<key>", "the key, e.g. state_backend")
    .option("--json", 'print {"section", "key", "value", "source"}')
    .action((section: string, key: string, options: GetValueOptions, command: Command) =>
      getValue(section, key, options, command, io),
    );
  config
    .command("list")
    .description("Print every option set in the file, the environment or the built-in defaults, as INI.")
    .option("--section <section>", "only this section")
    .option("--include-sources", "a `# <source>` line above each option: file and line, variable, or default")
    .option("--hide-sensitive", "mask secrets: credential options, URL passwords, credentials inside JSON")
    .option("--json", "print an array of {section, key, value, kind, source, line}")
    .action((options: ListOptions, command: Command) => listConfig(options, command, io));
  config
    .command("lint")
    .description(
      "Check the config file and AIRFLOW__ variables: unknown sections and keys, wrong types, deprecated options. Exit 1 on an error.",
    )
    .option("--json", "print {file, errors, warnings, findings}")
    .action((options: LintOptions, command: Command) => lintCommand(options, command, io));
}
