import type { Command } from "commander";
import type { CliIo } from "../io.js";

/** Registers `flowstate backend …`. */
export function registerBackendCommand(program: Command, io: CliIo): void {
  void io;
  program.command("backend").description("(not written yet)");
}
