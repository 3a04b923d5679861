import type { Readable, Writable } from "node:stream";
import pc from "picocolors";

/** The colour functions picocolors makes (no-ops when colours are off). */
export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Where a CLI run reads and writes: the process's streams, environment and folder by default;
 * tests pass their own so a run is hermetic and its output can be read back.
 */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  /** Read by `state set … -` (a value from standard input). */
  stdin: Readable;
  /** `AIRFLOW_CONFIG`, `AIRFLOW_HOME`, `AIRFLOW__…` overrides, `NO_COLOR`, `FORCE_COLOR`. */
  env: Record<string, string | undefined>;
  /** The folder `airflow.cfg` is searched upward from. */
  cwd: string;
}

/** The process's own streams, environment and working folder. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

/**
 * Colours for `stream`: only on a terminal, never with `NO_COLOR` set; `FORCE_COLOR` (not `0`)
 * forces them on.
 */
export function colorsFor(stream: CliIo["stdout"], env: CliIo["env"]): Colors {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return pc.createColors(false);
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return pc.createColors(true);
  return pc.createColors(stream.isTTY === true);
}

/** Writes `text` and a newline to `stream`. */
export function writeLine(stream: Writable, text = ""): void {
  stream.write(`${text}\n`);
}

/** Writes `data` as indented JSON (for `--json`) to standard output. */
export function writeJson(io: CliIo, data: unknown): void {
  writeLine(io.stdout, JSON.stringify(data, null, 2));
}
