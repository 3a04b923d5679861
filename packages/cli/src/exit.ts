/**
 * The exit codes of `flowstate`, documented in the README:
 * - `0` the command did what was asked (a check passed, a lint found nothing wrong);
 * - `1` it failed: a check or probe failed, lint found errors, the store or backend refused;
 * - `2` the command line was wrong (unknown command or option, a missing argument) or the
 *   configuration could not be read.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * Thrown by a command that has already printed what went wrong and only needs the process to end
 * with `code` (a failed check, lint errors).
 */
export class CliExit extends Error {
  readonly code: number;
  constructor(code: number, message = `exit ${code}`) {
    super(message);
    this.name = "CliExit";
    this.code = code;
  }
}
