import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServerProcess } from "./child.js";
import { type S3TestServer, toS3TestServer } from "./server.js";

/** Where moto was found: the Python interpreter that has it installed. */
export interface MotoInstallation {
  /** The `moto_server` script that was found. */
  script: string;
  /** The Python interpreter that runs it (and can `import moto`). */
  python: string;
}

const CHILD_SCRIPT = fileURLToPath(new URL("../bin/moto-child.py", import.meta.url));

/**
 * Looks for Python moto's `moto_server`: `$FLOWSTATE_MOTO_SERVER`, then every pyenv version,
 * then `$PATH`. Returns `undefined` when it is not installed (tests then skip with a reason).
 */
export function findMotoServer(): MotoInstallation | undefined {
  for (const script of motoCandidates()) {
    const python = interpreterOf(script);
    if (python) return { script, python };
  }
  return undefined;
}

/**
 * Starts Python moto's S3 server (in memory) on a free port of 127.0.0.1 and resolves once it
 * answers. It accepts any credentials and needs no special client settings.
 * @throws Error when moto is not installed: check {@link findMotoServer} first.
 */
export async function startMotoServer(): Promise<S3TestServer> {
  const moto = findMotoServer();
  if (!moto) {
    throw new Error(
      "moto_server was not found: install Python moto[server], or set FLOWSTATE_MOTO_SERVER to its moto_server script.",
    );
  }
  const child = await startServerProcess({
    name: "moto",
    command: moto.python,
    args: [CHILD_SCRIPT, "127.0.0.1"],
  });
  return toS3TestServer({
    name: "moto",
    process: child,
    region: "us-east-1",
    accessKeyId: "testing",
    secretAccessKey: "testing",
    directory: "",
    ownedDirectory: undefined,
  });
}

function* motoCandidates(): Generator<string> {
  const fromEnv = process.env.FLOWSTATE_MOTO_SERVER;
  if (fromEnv) yield fromEnv;
  const versions = join(process.env.PYENV_ROOT ?? join(homedir(), ".pyenv"), "versions");
  if (existsSync(versions)) {
    for (const version of readdirSync(versions).sort().reverse())
      yield join(versions, version, "bin", "moto_server");
  }
  for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir) yield join(dir, "moto_server");
}

/**
 * The Python that runs `script`, from its shebang. A pyenv shim is a shell script whose Python
 * depends on the working directory, so it is skipped in favour of the versions it points into.
 */
function interpreterOf(script: string): string | undefined {
  if (!existsSync(script)) return undefined;
  const firstLine = readFileSync(script, "utf8").split("\n", 1)[0] ?? "";
  const python = /^#!\s*(\/\S*python[\d.]*)\s*$/.exec(firstLine)?.[1];
  return python && existsSync(python) ? python : undefined;
}
