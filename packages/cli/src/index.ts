/**
 * `@flowstate/cli`: the `flowstate` command. Use it from a shell (`npx flowstate --help`); the
 * exports let programs and tests run it in-process with their own streams and environment.
 * @packageDocumentation
 */
export { CliExit, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./exit.js";
export { type CliIo, processIo } from "./io.js";
export { createProgram, runCli } from "./program.js";
