// Helpers for the end-to-end tests: run an example's built entry point as a child process with
// its own config overrides, and find the repository's folders.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";

export const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <script>` in `cwd` with extra environment variables, collecting its output. */
export function runNode(script: string, cwd: string, env: Record<string, string>): Promise<RunResult> {
  return runCommand(process.execPath, [script], { cwd, env: { ...process.env, ...env } });
}

/** Runs `command args` to its end in `cwd` with exactly `env`, collecting its output. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, options);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Registers clean-up and returns a maker of temp folders that are removed after each test. */
export function useTempDirs(): (prefix: string) => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async (prefix) => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
