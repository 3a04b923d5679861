import type { Command } from "commander";
import type { CliIo } from "../io.js";

/** Registers `flowstate token …`. */
export function registerTokenCommand(program: Command, io: CliIo): void {
  void io;
  program.command("token").description("(not written yet)");
}
