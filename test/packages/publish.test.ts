// Every package we publish is ready to publish: publint finds nothing, the tarball holds LICENSE,
// README, package.json and the build (no sources, tests or stale outputs), the metadata points at
// the right folder, third-party ranges let consumers share one copy, and every import is declared.
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { type PackFile, publint } from "publint";
import { formatMessage } from "publint/utils";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../support.js";
import {
  isWorkspacePackage,
  type Manifest,
  type PublicPackage,
  packedFiles,
  publicPackages,
} from "./packages.js";

const rootLicense = readFileSync(join(repoRoot, "LICENSE"));
const packs = new Map<string, string[]>();

beforeAll(async () => {
  // One `npm pack --dry-run` per package, all at once: the slow part of this file.
  await Promise.all(
    publicPackages.map(async (pkg) => {
      packs.set(pkg.dir, await packedFiles(pkg));
    }),
  );
}, 60_000);

function packOf(pkg: PublicPackage): string[] {
  const files = packs.get(pkg.dir);
  if (!files) throw new Error(`${pkg.dir} was not packed`);
  return files;
}

describe.each(publicPackages)("$manifest.name ($dir)", (pkg) => {
  const { manifest } = pkg;

  it("passes publint in strict mode, linting the files npm packs", async () => {
    const files: PackFile[] = await Promise.all(
      packOf(pkg).map(async (file) => ({
        name: `${pkg.path}/${file}`,
        data: await readFile(join(pkg.path, file)),
      })),
    );
    const { messages, pkg: linted } = await publint({ pkgDir: pkg.path, strict: true, pack: { files } });
    const problems = messages
      .filter((message) => message.type !== "suggestion")
      .map((message) => `${message.type}: ${formatMessage(message, linted, { color: false })}`);
    expect(problems).toEqual([]);
  });

  it("packs exactly LICENSE, README.md, package.json and the build (and CHANGELOG.md once there is one)", () => {
    const files = packOf(pkg);
    expect(files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json"]));
    const unexpected = files.filter(
      (file) =>
        !["LICENSE", "README.md", "package.json", "CHANGELOG.md"].includes(file) &&
        !/^dist\/.+\.(js|js\.map|d\.ts)$/.test(file),
    );
    expect(unexpected, "not LICENSE/README/package.json or dist/**/*.{js,js.map,d.ts}").toEqual([]);
    expect(files.filter((file) => /(^|\/)(src|test|\.generated)\/|\.tsbuildinfo$/.test(file))).toEqual([]);
  });

  it("packs no stale build output: every dist file comes from a current source file", () => {
    const stale = packOf(pkg)
      .filter((file) => file.startsWith("dist/"))
      .filter((file) => {
        const stem = file.slice("dist/".length).replace(/\.(js\.map|js|d\.ts)$/, "");
        return !existsSync(join(pkg.path, "src", `${stem}.ts`));
      });
    expect(stale, "delete these, then rebuild (tsc -b does not remove outputs of deleted sources)").toEqual(
      [],
    );
  });

  it("ships source maps with the sources inlined, so stack traces show real code without src/", () => {
    const maps = packOf(pkg).filter((file) => file.endsWith(".js.map"));
    expect(maps.length).toBeGreaterThan(0);
    for (const file of maps) {
      const map = JSON.parse(readFileSync(join(pkg.path, file), "utf8")) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(map.sourcesContent?.length, `${file} has no sourcesContent`).toBe(map.sources.length);
      expect(map.sourcesContent?.every((text) => typeof text === "string" && text.length > 0)).toBe(true);
    }
  });

  it("has a LICENSE byte-identical to the repository's", () => {
    const license = readFileSync(join(pkg.path, "LICENSE"));
    expect(license.equals(rootLicense), `${pkg.dir}/LICENSE differs from ./LICENSE`).toBe(true);
  });

  it("has a README that says how to install it and links to the project (absolute, so it works on npm)", () => {
    const readme = join(pkg.path, "README.md");
    expect(existsSync(readme), `${pkg.dir}/README.md is missing`).toBe(true);
    const text = readFileSync(readme, "utf8");
    expect(text.startsWith(`# ${manifest.name}\n`)).toBe(true);
    expect(text).toMatch(new RegExp(`(npm install|pnpm add)( --save-dev| -D)? ${manifest.name}\\b`));
    expect(text, "link the root README absolutely (relative links break on npmjs.com)").toContain(
      "https://github.com/flowstate-dev/flowstate#readme",
    );
  });

  it("names its license, repository folder, engines and public access", () => {
    expect(manifest.license).toBe("Apache-2.0");
    expect(manifest.repository).toEqual({
      type: "git",
      url: "git+https://github.com/flowstate-dev/flowstate.git",
      directory: pkg.dir,
    });
    expect(manifest.engines?.node).toMatch(/^>=20\.\d+\.?\d*$/);
    expect(manifest.publishConfig?.access).toBe("public");
  });

  it("asks for a Node at least as new as each of its dependencies asks for", () => {
    const own = minimumNode(manifest.engines?.node);
    const tooOld = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })
      .map((name) => ({ name, needs: minimumNode(installedManifest(pkg, name)?.engines?.node) }))
      .filter(({ needs }) => needs !== undefined && own !== undefined && compareVersions(own, needs) < 0)
      .map(({ name, needs }) => `${name} needs node >=${needs?.join(".")}`);
    expect(tooOld, `raise engines.node (${manifest.engines?.node})`).toEqual([]);
  });

  it("takes third-party dependencies in caret ranges, and its own packages as workspace:^", () => {
    const ranges = { ...manifest.dependencies, ...manifest.optionalDependencies };
    const wrong = Object.entries(ranges).filter(([name, range]) =>
      isWorkspacePackage(name) ? range !== "workspace:^" : !/^\^\d+\.\d+\.\d+$/.test(range),
    );
    expect(wrong, "use ^x.y.z for third-party packages and workspace:^ for flowstate's own").toEqual([]);
  });

  it("has a built file behind every exports target", () => {
    const targets = exportTargets(manifest.exports);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((target) => !existsSync(join(pkg.path, target)))).toEqual([]);
  });

  it("declares every package its build imports", () => {
    const undeclared = new Set<string>();
    for (const file of packOf(pkg).filter((name) => name.endsWith(".js"))) {
      for (const name of importedPackages(readFileSync(join(pkg.path, file), "utf8"))) {
        if (!isDeclared(manifest, name)) undeclared.add(`${name} (${file})`);
      }
    }
    expect([...undeclared], "add them to dependencies (or peerDependencies)").toEqual([]);
  });

  if (manifest.bin !== undefined)
    it("has bin targets that start with a node shebang", () => {
      const bins = typeof manifest.bin === "string" ? [manifest.bin] : Object.values(manifest.bin ?? {});
      for (const bin of bins) {
        expect(readFileSync(join(pkg.path, bin), "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
      }
    });
});

it("checks the packages the README promises", () => {
  const names = publicPackages.map((pkg) => pkg.manifest.name);
  for (const name of [
    "@flowstate/shared-state",
    "@flowstate/sdk",
    "@flowstate/cli",
    "flowstate-backend-fs",
  ]) {
    expect(names).toContain(name);
  }
});

/** Every file path an `exports` value can lead to. */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === "string") return [exports];
  if (exports === null || typeof exports !== "object") return [];
  return Object.values(exports).flatMap(exportTargets);
}

/**
 * Package names a built ES module imports, statically or dynamically with a literal: TypeScript's
 * scanner finds them, and not import-like text inside strings (the cli's scaffold templates).
 */
function importedPackages(code: string): string[] {
  return ts
    .preProcessFile(code, true, true)
    .importedFiles.map((file) => file.fileName)
    .filter((spec) => !/^(\.|\/|node:)/.test(spec) && !builtinModules.includes(spec))
    .map((spec) =>
      spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? ""),
    );
}

/** The manifest of a dependency as installed for the package, if it is. */
function installedManifest(pkg: PublicPackage, name: string): Manifest | undefined {
  const file = join(pkg.path, "node_modules", name, "package.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Manifest) : undefined;
}

/** `[major, minor, patch]` of a plain `>=x.y.z` range; undefined for other ranges (`20.x || 22.x`). */
function minimumNode(range: string | undefined): number[] | undefined {
  const match = range?.trim().match(/^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/);
  return match ? [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)] : undefined;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

function isDeclared(manifest: Manifest, name: string): boolean {
  return (
    name === manifest.name ||
    name in (manifest.dependencies ?? {}) ||
    name in (manifest.peerDependencies ?? {}) ||
    name in (manifest.optionalDependencies ?? {})
  );
}
