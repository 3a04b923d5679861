import type { Command } from "commander";
import type { CliIo } from "../io.js";

/** Registers `flowstate db …`. */
export function registerDbCommand(program: Command, io: CliIo): void {
  void io;
  program.command("db").description("(not written yet)");
}
