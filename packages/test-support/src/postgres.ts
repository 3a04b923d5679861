import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, chownSync, constants, existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { freePort } from "./free-port.js";
import { makeTempDir } from "./temp-dir.js";

/** A throwaway PostgreSQL cluster on 127.0.0.1, from {@link startPostgresServer}. */
export interface PostgresTestServer {
  /** `postgresql://postgres:<password>@127.0.0.1:<port>/postgres`: the superuser, password auth. */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** The temp dir holding the cluster (data, socket, log); removed on stop. */
  directory: string;
  /** The server version's major number, e.g. `15`. */
  majorVersion: number;
  /** Stops the server at once (`pg_ctl stop -m immediate`) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const USER = "postgres";
const START_TIMEOUT_S = 30;

/**
 * The server settings of a throwaway test cluster: durability off (the data is thrown away, and
 * tests should not wait on the disk) and room for many pooled connections.
 */
const TEST_POSTGRES_SETTINGS: Readonly<Record<string, string>> = {
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  max_connections: "300",
};

/** Options of {@link startPostgresServer}. */
export interface StartPostgresServerOptions {
  /**
   * Server settings (`-c name=value`) over the test defaults (fsync, synchronous_commit and
   * full_page_writes off; max_connections 300), e.g. `{ fsync: "on", synchronous_commit: "on",
   * full_page_writes: "on" }` for a benchmark an operator would quote. @default {}
   */
  settings?: Readonly<Record<string, string>>;
}

/**
 * Starts a fresh PostgreSQL cluster for tests: `initdb` in a temp dir (as the non-root user
 * `postgres` when running as root, via `runuser`), then `pg_ctl start` on a free port of
 * 127.0.0.1 with fsync off (throwaway data), waiting until it accepts connections. Connections
 * over TCP need the superuser's password (scram-sha-256), so tests can check wrong passwords.
 * `initdb`/`pg_ctl` are found on PATH, else in `/usr/lib/postgresql/<version>/bin`; when missing
 * and running as root, `apt-get install -y postgresql` installs them first. The server is
 * stopped when this process exits, and by a watchdog child if this process is killed.
 */
export async function startPostgresServer(
  options: StartPostgresServerOptions = {},
): Promise<PostgresTestServer> {
  const settings = { ...TEST_POSTGRES_SETTINGS, ...options.settings };
  const bin = findPostgresBin() ?? installPostgres();
  const asRoot = process.getuid?.() === 0;
  const directory = await makeTempDir("postgres");
  const data = join(directory, "data");
  const password = randomBytes(12).toString("hex");
  const run = (tool: string, args: string[]): string => {
    const [command, commandArgs] = asRoot
      ? ["runuser", ["-u", USER, "--", join(bin, tool), ...args]]
      : [join(bin, tool), args];
    try {
      return execFileSync(command, commandArgs, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(`Could not run ${tool} ${args.join(" ")}: ${stderr || stdout || String(error)}`);
    }
  };
  try {
    const pwfile = join(directory, "pwfile");
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (asRoot) chownTree(directory, USER);
    run("initdb", [
      ...["-D", data, "-U", USER, "--pwfile", pwfile, "-E", "UTF8", "--locale=C", "-N"],
      ...["--auth-local=trust", "--auth-host=scram-sha-256"],
    ]);
    const { port } = await startOnFreePort(run, data, directory, settings);
    const stopSync = (): void => {
      spawnSync(...commandFor(asRoot, bin, "pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w"]), {
        stdio: "ignore",
      });
      rmSync(directory, { recursive: true, force: true });
    };
    const watchdog = startWatchdog(
      commandFor(asRoot, bin, "pg_ctl", ["stop", "-D", data, "-m", "immediate"]),
      directory,
    );
    process.once("exit", stopSync);
    let stopped = false;
    const majorVersion = Number.parseInt(/(\d+)/.exec(run("pg_ctl", ["--version"]))?.[1] ?? "0", 10);
    return {
      url: `postgresql://${USER}:${password}@127.0.0.1:${port}/postgres`,
      host: "127.0.0.1",
      port,
      user: USER,
      password,
      directory,
      majorVersion,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        process.off("exit", stopSync);
        stopSync();
        watchdog.end();
      },
    };
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}

/** The folder holding `initdb` and `pg_ctl`: PATH first, then the newest `/usr/lib/postgresql/<n>/bin`. */
export function findPostgresBin(): string | undefined {
  const onPath = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  const versions = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql")
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
        .map((name) => join("/usr/lib/postgresql", name, "bin"))
    : [];
  return [...onPath, ...versions].find(
    (dir) => isExecutable(join(dir, "initdb")) && isExecutable(join(dir, "pg_ctl")),
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function installPostgres(): string {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "PostgreSQL (initdb, pg_ctl) was not found on PATH or in /usr/lib/postgresql/*/bin. Install it (e.g. `apt-get install -y postgresql`) to run the PostgreSQL tests.",
    );
  }
  console.error("[test-support] PostgreSQL not found: running apt-get install -y postgresql (once)…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "postgresql"]]) {
    const result = spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed (exit ${result.status}).`);
  }
  const bin = findPostgresBin();
  if (!bin) throw new Error("apt-get installed postgresql, but initdb/pg_ctl are still not found.");
  return bin;
}

function commandFor(asRoot: boolean, bin: string, tool: string, args: string[]): [string, string[]] {
  return asRoot ? ["runuser", ["-u", USER, "--", join(bin, tool), ...args]] : [join(bin, tool), args];
}

function chownTree(path: string, user: string): void {
  const uid = Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
  chownSync(path, uid, gid);
  for (const name of readdirSync(path)) chownSync(join(path, name), uid, gid);
}

// A port found free may be taken before the server binds it: try a few.
async function startOnFreePort(
  run: (tool: string, args: string[]) => string,
  data: string,
  directory: string,
  serverSettings: Record<string, string>,
): Promise<{ port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const settings = [
      "-c listen_addresses=127.0.0.1",
      `-k ${directory}`,
      `-p ${port}`,
      ...Object.entries(serverSettings).map(([name, value]) => `-c ${name}=${value}`),
    ].join(" ");
    try {
      run("pg_ctl", [
        "start",
        "-D",
        data,
        "-w",
        "-t",
        String(START_TIMEOUT_S),
        "-l",
        join(directory, "log"),
        "-o",
        settings,
      ]);
      return { port };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/**
 * A detached child that stops the server and removes its folder when this process goes away
 * without stopping it (its stdin pipe reaches EOF, which also happens when this process is killed).
 */
function startWatchdog(stop: [string, string[]], directory: string): { end(): void } {
  const script = `
const { spawnSync } = require("node:child_process");
const { rmSync } = require("node:fs");
const [command, args, directory] = JSON.parse(process.argv[1]);
process.stdin.resume();
process.stdin.on("data", () => {});
process.stdin.on("end", () => {
  if (require("node:fs").existsSync(directory)) {
    spawnSync(command, args, { stdio: "ignore" });
    rmSync(directory, { recursive: true, force: true });
  }
  process.exit(0);
});`;
  const child = spawn(process.execPath, ["-e", script, JSON.stringify([stop[0], stop[1], directory])], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true,
  });
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return { end: () => child.stdin?.end() };
}
