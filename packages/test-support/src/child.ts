import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

/** A server process that printed `{"port": N}` as its first stdout line. */
export interface ServerProcess {
  port: number;
  /** Stops the process (SIGTERM, then SIGKILL if it lingers) and waits for it to exit. */
  stop(): Promise<void>;
}

/** How to start a server process and what to call it in error messages. */
export interface ServerCommand {
  /** Short name for messages, e.g. `"s3rver"`. */
  name: string;
  command: string;
  args: string[];
  /** Give up when no port was printed within this long (a hung start, not a test timing). */
  startTimeoutMs?: number;
}

const DEFAULT_START_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 5_000;

/**
 * Starts `command`, waits for the port line, and returns a handle that stops it. Stdin stays an
 * open pipe: the child exits when it reaches EOF, which also happens when this process dies.
 */
export async function startServerProcess(spec: ServerCommand): Promise<ServerProcess> {
  const child = spawn(spec.command, spec.args, { stdio: ["pipe", "pipe", "pipe"] });
  const stderr = collectTail(child);
  const stopOnExit = (): void => void child.kill("SIGKILL");
  process.once("exit", stopOnExit);
  let port: number;
  try {
    port = await readPort(child, spec, stderr);
  } catch (error) {
    process.off("exit", stopOnExit);
    await stopChild(child);
    throw error;
  }
  // A server someone forgot to stop must not keep the test process alive.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as Unref)?.unref?.();
  return {
    port,
    stop: async () => {
      process.off("exit", stopOnExit);
      await stopChild(child);
    },
  };
}

interface Unref {
  unref?: () => void;
}

function readPort(child: ChildProcess, spec: ServerCommand, stderr: () => string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      reject(
        new Error(
          `Could not start ${spec.name} (${spec.command} ${spec.args.join(" ")}): ${why}${tail(stderr())}`,
        ),
      );
    };
    const timeoutMs = spec.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const timer = setTimeout(() => fail(`it printed no port within ${timeoutMs} ms`), timeoutMs);
    child.once("error", (error) => fail(error.message));
    child.once("exit", (code, signal) =>
      fail(`it exited (${signal ?? `code ${code}`}) before printing its port`),
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once("line", (line) => {
      clearTimeout(timer);
      lines.close();
      const port = parsePortLine(line);
      if (port === undefined) fail(`its first output line was not {"port": N}: ${JSON.stringify(line)}`);
      else resolve(port);
    });
  });
}

function parsePortLine(line: string): number | undefined {
  try {
    const { port } = JSON.parse(line) as { port?: unknown };
    return typeof port === "number" && Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the last few KiB of the child's stderr for error messages. */
function collectTail(child: ChildProcess): () => string {
  let text = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    text = (text + chunk).slice(-4096);
  });
  return () => text;
}

function tail(stderr: string): string {
  return stderr.trim() === "" ? "" : `\n--- stderr ---\n${stderr.trim()}`;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const force = setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(force);
  }
}
