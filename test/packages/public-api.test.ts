// Each published package's API, committed as a snapshot: the names its built entry exports at
// run time (with their typeof) and every name its `.d.ts` exports (with its kind, so type-only
// exports show too). Adding or removing an export is then a conscious change: refresh with
//   node scripts/pnpm.mjs exec vitest run test/packages/public-api.test.ts -u
// and commit test/packages/public-api/*.json.
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { type PublicPackage, publicPackages } from "./packages.js";

/** What a `.d.ts` export is, e.g. `class`, `interface`, `variable`; `type-only class` when exported with `type`. */
type DeclarationKind = string;

describe.each(publicPackages)("$manifest.name", (pkg) => {
  it("exports what its snapshot lists, at run time and in its types", async () => {
    const runtime = await runtimeExports(pkg.manifest.name);
    const declarations = declaredExports(pkg);
    const snapshot = { package: pkg.manifest.name, runtime, declarations };
    await expect(`${JSON.stringify(snapshot, null, 2)}\n`).toMatchFileSnapshot(
      `public-api/${pkg.manifest.name.replace(/^@flowstate\//, "")}.json`,
    );
  });

  it("has types for exactly the values it exports at run time", async () => {
    const runtime = Object.keys(await runtimeExports(pkg.manifest.name));
    const values = Object.entries(declaredExports(pkg))
      .filter(([, kind]) => VALUE_KINDS.has(kind))
      .map(([name]) => name);
    expect(values.sort()).toEqual(runtime.sort());
  });
});

it("the sdk re-exports shared-state's scopes, backend base class and errors themselves, not copies", async () => {
  const sdk = (await import("@flowstate/sdk")) as Record<string, unknown>;
  const shared = (await import("@flowstate/shared-state")) as Record<string, unknown>;
  for (const name of [
    "BaseStateBackend",
    "TaskScope",
    "AssetScope",
    "FlowstateError",
    "StateBackendLoadError",
  ]) {
    expect(sdk[name], name).toBeTypeOf("function");
    expect(sdk[name], name).toBe(shared[name]);
  }
});

const VALUE_KINDS = new Set(["class", "function", "variable", "enum", "namespace"]);

/** `typeof` of each export of the package's built entry, by name. */
async function runtimeExports(name: string): Promise<Record<string, string>> {
  const module = (await import(name)) as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(module)
      .sort()
      .map((key) => [key, typeof module[key]]),
  );
}

let program: ts.Program | undefined;

/** One program over every package's types entry: type-checking them together is much faster. */
function typesProgram(): ts.Program {
  program ??= ts.createProgram(
    publicPackages.map((pkg) => join(pkg.path, typesEntry(pkg))),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      noEmit: true,
      skipLibCheck: true,
    },
  );
  return program;
}

/** Every export of the package's `types` entry (`dist/index.d.ts`), by name, with its kind. */
function declaredExports(pkg: PublicPackage): Record<string, DeclarationKind> {
  const dts = join(pkg.path, typesEntry(pkg));
  const checker = typesProgram().getTypeChecker();
  const source = typesProgram().getSourceFile(dts);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${dts} is not a module`);
  return Object.fromEntries(
    checker
      .getExportsOfModule(moduleSymbol)
      .map((symbol) => [symbol.name, kindOf(checker, symbol)] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function typesEntry(pkg: PublicPackage): string {
  const root = (pkg.manifest.exports as Record<string, { types?: string }> | undefined)?.["."];
  if (!root?.types) throw new Error(`${pkg.dir}: exports["."].types is missing`);
  return root.types;
}

/** Follows re-exports to the declaration; any `export type`/`import type` on the way makes it type-only. */
function kindOf(checker: ts.TypeChecker, symbol: ts.Symbol): DeclarationKind {
  let target = symbol;
  let typeOnly = false;
  while (target.flags & ts.SymbolFlags.Alias) {
    if (target.declarations?.some((declaration) => ts.isTypeOnlyImportOrExportDeclaration(declaration)))
      typeOnly = true;
    const next = checker.getImmediateAliasedSymbol(target);
    if (!next || next === target) break;
    target = next;
  }
  const kind = declarationKind(target.flags);
  return typeOnly && VALUE_KINDS.has(kind) ? `type-only ${kind}` : kind;
}

function declarationKind(flags: ts.SymbolFlags): DeclarationKind {
  if (flags & ts.SymbolFlags.Class) return "class";
  if (flags & ts.SymbolFlags.Function) return "function";
  if (flags & ts.SymbolFlags.Enum) return "enum";
  if (flags & ts.SymbolFlags.Variable) return "variable";
  if (flags & ts.SymbolFlags.ValueModule) return "namespace";
  if (flags & ts.SymbolFlags.Interface) return "interface";
  if (flags & ts.SymbolFlags.TypeAlias) return "type";
  return "unknown";
}
