import { stat } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve as resolvePath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ImportStringError } from "@flowstate/shared-state";
import { moduleResolve } from "import-meta-resolve";

/** Options of {@link importString}. */
export interface ImportStringOptions {
  /**
   * Folder (as a path or a `file:` URL) to resolve the module from: packages are looked up in its
   * `node_modules` and the folders above, relative file paths are relative to it. A file (such as
   * `import.meta.url`) resolves from that file's position.
   * @default process.cwd()
   */
  from?: string | URL;
}

/** The module to import and the export to take from it. */
interface ImportPath {
  path: string;
  specifier: string;
  exportName: string;
}

/** Where resolution starts. */
interface ResolveFrom {
  folder: string;
  parentURL: string;
}

const FORM =
  "Write it as <module>.<ExportName>, e.g. my-package.MyBackend, @scope/package/sub.MyBackend or " +
  "./backends/mine.js.MyBackend (a file path must include its extension).";

/**
 * Airflow's `import_string` for npm: imports the export named after the LAST `.` of `path` from
 * the module named before it. The module is a package (`pkg`, `@scope/pkg`, `pkg/subpath` as its
 * `exports` allow) or a file path (`./backends/mine.js`, `/abs/mine.mjs`) that includes its
 * extension — so `./backends/mine.js.MyBackend` is export `MyBackend` of `./backends/mine.js`.
 * It resolves from `options.from`, not from where this package is installed, so a plugin added
 * to the operator's project loads even under pnpm's strict `node_modules`.
 * @returns the export's value (`default` is an export like any other).
 * @throws ImportStringError with `reason` `invalid-path`, `module-not-found`,
 *   `export-not-found` or `module-threw` (the module's own error is the `cause`).
 */
export async function importString(path: string, options: ImportStringOptions = {}): Promise<unknown> {
  const target = splitImportPath(path);
  const from = await resolveFrom(target, options.from);
  const url = resolveModule(target, from);
  const namespace = await importModule(target, url);
  if (!Object.keys(namespace).includes(target.exportName)) {
    const exports = Object.keys(namespace).sort().join(", ") || "none";
    throw new ImportStringError(
      `Module '${target.specifier}' (${url}) has no export named '${target.exportName}' (class path '${path}'). Its exports: ${exports}.`,
      path,
      "export-not-found",
    );
  }
  return namespace[target.exportName];
}

function splitImportPath(path: unknown): ImportPath {
  const invalid = (problem: string) =>
    new ImportStringError(
      `Invalid class path ${JSON.stringify(path)}: ${problem}. ${FORM}`,
      String(path),
      "invalid-path",
    );
  if (typeof path !== "string")
    throw invalid(`expected a string, got ${path === null ? "null" : typeof path}`);
  if (/\s/.test(path)) throw invalid("it contains whitespace");
  // `data:` would run code written in the config itself, `http:` code from the network, `node:`
  // names no backend: a class path names an installed package or a file, nothing else.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(path)?.[1];
  if (scheme !== undefined && !/^[a-z]$/i.test(scheme)) {
    throw invalid(`'${scheme}:' URLs are not accepted; name an installed package or a file path`);
  }
  const dot = path.lastIndexOf(".");
  if (dot < 0) throw invalid("it has no '.' between the module and the export name");
  const specifier = path.slice(0, dot);
  const exportName = path.slice(dot + 1);
  if (!specifier) throw invalid("the module before the last '.' is empty");
  if (!exportName) throw invalid("the export name after the last '.' is empty");
  if (exportName.includes("/"))
    throw invalid(`the export name after the last '.' ('${exportName}') contains '/'`);
  return { path, specifier, exportName };
}

async function resolveFrom(target: ImportPath, from: string | URL = process.cwd()): Promise<ResolveFrom> {
  let location: string;
  try {
    location = from instanceof URL || from.startsWith("file:") ? fileURLToPath(from) : resolvePath(from);
  } catch (error) {
    throw new ImportStringError(
      `Cannot import '${target.path}': the \`from\` option ${String(from)} is neither a folder path nor a file: URL.`,
      target.path,
      "invalid-path",
      { cause: error },
    );
  }
  const isFile = await stat(location).then(
    (stats) => stats.isFile(),
    () => false,
  );
  const folder = isFile ? dirname(location) : location;
  // The parent must be a module *inside* the folder, so that its node_modules are searched.
  return { folder, parentURL: pathToFileURL(isFile ? location : join(location, "noop.js")).href };
}

function isFilePath(specifier: string): boolean {
  return /^\.\.?(\/|$)/.test(specifier) || isAbsolute(specifier);
}

function resolveModule(target: ImportPath, from: ResolveFrom): string {
  const { specifier } = target;
  // File paths become file: URLs here, so that characters such as '#' or '%' stay part of the name.
  const request = isFilePath(specifier) ? pathToFileURL(resolvePath(from.folder, specifier)).href : specifier;
  try {
    // moduleResolve, not resolve: like import.meta.resolve, resolve() returns a missing file's URL.
    return moduleResolve(request, new URL(from.parentURL)).href;
  } catch (error) {
    throw new ImportStringError(notFoundMessage(target, from, error), target.path, "module-not-found", {
      cause: error,
    });
  }
}

function notFoundMessage(target: ImportPath, from: ResolveFrom, error: unknown): string {
  const { specifier, exportName, path } = target;
  const why = error instanceof Error ? error.message : String(error);
  const head = `Cannot find module '${specifier}' for class path '${path}', looking from ${from.folder}`;
  const forgotExport = /^(c|m)?(js|ts)$/.test(exportName)
    ? ` If '${specifier}.${exportName}' is the file, add the export name: '${path}.ExportName'.`
    : "";
  if (isFilePath(specifier)) {
    return `${head}. Check that the file exists; a file path must include its extension.${forgotExport} (${why})`;
  }
  const code = (error as { code?: unknown }).code;
  const packageName = packageNameOf(specifier);
  if (code === "ERR_PACKAGE_PATH_NOT_EXPORTED") {
    return `${head}: package '${packageName}' is installed but does not export that subpath. Use a path listed in its package.json "exports". (${why})`;
  }
  return `${head}. Install it there: cd ${from.folder} && pnpm add ${packageName} (${why})`;
}

function packageNameOf(specifier: string): string {
  const segments = specifier.split("/");
  return segments.slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
}

async function importModule(target: ImportPath, url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ImportStringError(
      `Module '${target.specifier}' (${url}) for class path '${target.path}' threw while loading: ${why}. Fix the module or the packages it imports.`,
      target.path,
      "module-threw",
      { cause: error },
    );
  }
}
