import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { CliExit, EXIT_FAILURE, EXIT_USAGE } from "../exit.js";
import { type CliIo, colorsFor, writeJson, writeLine } from "../io.js";
import { folderProblem, writeBackendPackage } from "./backend-package.js";
import {
  classNameProblem,
  defaultClassName,
  packageNameProblem,
  referenceScheme,
  unscoped,
} from "./names.js";

/** Options of `flowstate backend new`. */
interface NewOptions {
  dir?: string;
  class?: string;
  json?: boolean;
}

/** Registers `flowstate backend new NAME` under `backend`. */
export function registerBackendNewCommand(backend: Command, io: CliIo): void {
  backend
    .command("new")
    .description(
      "Scaffold a backend plugin package NAME: a class extending BaseStateBackend that passes the conformance suite as generated, its test, and the files to build and publish it.",
    )
    .argument("<name>", "the npm package name, e.g. flowstate-backend-redis or @acme/flowstate-backend-redis")
    .option("--dir <dir>", "the folder to create it in (default: ./<name without its scope>)")
    .option("--class <ClassName>", "the exported class (default: from the name, e.g. RedisStateBackend)")
    .option("--json", "print what was written as JSON")
    .action(async (name: string, options: NewOptions) => runNew(name, options, io));
}

async function runNew(name: string, options: NewOptions, io: CliIo): Promise<void> {
  const className = options.class ?? defaultClassName(name);
  refuse(
    io,
    EXIT_USAGE,
    `package name '${name}'`,
    packageNameProblem(name),
    "Pick a valid npm package name.",
  );
  refuse(
    io,
    EXIT_USAGE,
    `--class '${className}'`,
    classNameProblem(className),
    "Pick a class name such as RedisStateBackend.",
  );
  const dir = resolve(io.cwd, options.dir ?? unscoped(name));
  const problem = await folderProblem(dir);
  refuse(
    io,
    EXIT_FAILURE,
    `folder ${dir}`,
    problem,
    "Pick another folder with --dir DIR; nothing was written.",
  );
  const files = await writeBackendPackage(dir, { name, className, scheme: referenceScheme(className) });
  const classPath = `${name}.${className}`;
  if (options.json) writeJson(io, { name, className, classPath, dir, files });
  else printCreated(io, { name, classPath, dir, files });
}

/** Prints why the command cannot go on and exits with `code`, when there is a `problem`. */
function refuse(io: CliIo, code: number, what: string, problem: string | undefined, fix: string): void {
  if (problem === undefined) return;
  writeLine(io.stderr, colorsFor(io.stderr, io.env).red(`error: ${what} cannot be used: ${problem}. ${fix}`));
  throw new CliExit(code);
}

function printCreated(
  io: CliIo,
  made: { name: string; classPath: string; dir: string; files: string[] },
): void {
  const c = colorsFor(io.stdout, io.env);
  const line = (text = "") => writeLine(io.stdout, text);
  line(`${c.green("✓")} created ${c.bold(made.name)} in ${made.dir}`);
  for (const file of made.files) line(`    ${file}`);
  line();
  line(`  class path  ${made.classPath}`);
  line();
  line("Next:");
  line(`  cd ${relative(io.cwd, made.dir) || "."}`);
  line("  npm install");
  line("  npm test        # the conformance suite passes before you change a line");
  line("Then replace InProcessStore in src/index.ts with your storage's client (see STORAGE comments),");
  line(`and have operators set [workers] state_backend = ${made.classPath}`);
}
