import type { Command } from "commander";
import type { CliIo } from "../io.js";

/** Registers `flowstate asset-state …`. */
export function registerAssetStateCommand(program: Command, io: CliIo): void {
  void io;
  program.command("asset-state").description("(not written yet)");
}
