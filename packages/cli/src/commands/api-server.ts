import type { Command } from "commander";
import type { CliIo } from "../io.js";

/** Registers `flowstate api-server …`. */
export function registerApiServerCommand(program: Command, io: CliIo): void {
  void io;
  program.command("api-server").description("(not written yet)");
}
