#!/usr/bin/env node
import { colorsFor, processIo, writeLine } from "./io.js";
import { runCli } from "./program.js";

// Node prints process warnings (a moved config option, objects left to sweep) with its own
// prefix and a hint about --trace-deprecation; an operator needs one plain line instead.
const io = processIo();
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  writeLine(io.stderr, colorsFor(io.stderr, io.env).yellow(`warning: ${warning.message}`));
});

process.exitCode = await runCli(process.argv.slice(2), io);
