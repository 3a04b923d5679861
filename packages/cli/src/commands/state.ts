import type { Command } from "commander";
import type { CliIo } from "../io.js";

/** Registers `flowstate state …`. */
export function registerStateCommand(program: Command, io: CliIo): void {
  void io;
  program.command("state").description("(not written yet)");
}
