import type { Command } from "commander";
import type { CliIo } from "../io.js";

/** Registers `flowstate config …`. */
export function registerConfigCommand(program: Command, io: CliIo): void {
  void io;
  program.command("config").description("(not written yet)");
}
