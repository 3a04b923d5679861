import { PassThrough } from "node:stream";
import { type CliIo, runCli } from "../src/index.js";

/** What one in-process run of `flowstate` printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `flowstate ...argv` in-process with its own streams, in `cwd` with exactly `env` (no
 * inherited variables, so the host's AIRFLOW_* never leak in). `stdin` is the text standard input holds.
 */
export async function flowstate(
  argv: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; stdin?: string },
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on("data", (chunk: Buffer) => chunks.out.push(chunk));
  stderr.on("data", (chunk: Buffer) => chunks.err.push(chunk));
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? "");
  const io: CliIo = { stdout, stderr, stdin, cwd: options.cwd, env: { HOME: options.cwd, ...options.env } };
  const code = await runCli(argv, io);
  return {
    code,
    stdout: Buffer.concat(chunks.out).toString("utf8"),
    stderr: Buffer.concat(chunks.err).toString("utf8"),
  };
}
