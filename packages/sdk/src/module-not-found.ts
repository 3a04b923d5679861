/**
 * The message of `importString`'s `module-not-found` error: what was looked for and where, and
 * the one thing to do about it — fix a misspelt name when something close is installed, install
 * the project's dependencies when package.json lists the package, else add the package with the
 * project's own package manager.
 */
import { closestNames, orList } from "./did-you-mean.js";
import { detectPackageManager, nearestProjectFolder, projectPackages } from "./project-packages.js";

/** The class path that failed to resolve, split as `importString` splits it. */
export interface UnresolvedImport {
  path: string;
  specifier: string;
  exportName: string;
}

/** The message for `target`, which could not be resolved from `folder` (`error`: the resolver's). */
export async function moduleNotFoundMessage(
  target: UnresolvedImport,
  folder: string,
  error: unknown,
  isFilePath: boolean,
): Promise<string> {
  const { specifier, exportName, path } = target;
  const why = error instanceof Error ? error.message : String(error);
  const head = `Cannot find module '${specifier}' for class path '${path}', looking from ${folder}`;
  if (isFilePath) {
    const forgotExport = /^(c|m)?(js|ts)$/.test(exportName)
      ? ` If '${specifier}.${exportName}' is the file, add the export name: '${path}.ExportName'.`
      : "";
    return `${head}. Check that the file exists; a file path must include its extension.${forgotExport} (${why})`;
  }
  const packageName = packageNameOf(specifier);
  if ((error as { code?: unknown }).code === "ERR_PACKAGE_PATH_NOT_EXPORTED") {
    return `${head}: package '${packageName}' is installed but does not export that subpath. Use a path listed in its package.json "exports". (${why})`;
  }
  return `${head}: ${await missingPackageAdvice(target, packageName, folder, why)}`;
}

async function missingPackageAdvice(
  target: UnresolvedImport,
  packageName: string,
  folder: string,
  why: string,
): Promise<string> {
  const { installed, declared } = await projectPackages(folder);
  const manager = await detectPackageManager(folder);
  const project = (await nearestProjectFolder(folder)) ?? folder;
  if (installed.has(packageName)) {
    // The folder is there but its entry file is not: an unbuilt or half-installed package.
    return `package '${packageName}' is installed but its entry file is missing (${why}). Reinstall it (cd ${project} && ${manager.installAll}), or build it if it is your own.`;
  }
  if (declared.has(packageName)) {
    return `package.json lists '${packageName}' but it is not installed. Install the project's dependencies: cd ${project} && ${manager.installAll}`;
  }
  const near = closestNames(packageName, [...installed, ...declared]);
  const first = near[0];
  if (first !== undefined) {
    const which = near.map((name) => `${name}${installed.has(name) ? " (installed)" : " (in package.json)"}`);
    const fixed = `${first}${target.path.slice(packageName.length)}`;
    return `no package '${packageName}' is installed there. Did you mean ${orList(which, "")}? Fix the class path, e.g. '${fixed}'.`;
  }
  return `no package '${packageName}' is installed there. Install it: cd ${project} && ${manager.add} ${packageName}`;
}

/** `pkg` of `pkg/sub/path`, `@scope/pkg` of `@scope/pkg/sub`. */
export function packageNameOf(specifier: string): string {
  const segments = specifier.split("/");
  return segments.slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
}
