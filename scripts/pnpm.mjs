#!/usr/bin/env node
// Runs the pnpm version pinned in package.json's "packageManager", fetched with npx when it is
// not installed, so a machine with only Node and npm can run every project command.
//
// It also points native builds (better-sqlite3) at the Node headers that ship with the machine's
// Node when they are present: where no prebuilt binary can be downloaded, node-gyp would
// otherwise try to download the headers and fail. A developer laptop with its own setting, or
// without those headers, is left alone.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { packageManager } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pinned = String(packageManager).replace(/\+.*$/, "");

const env = { ...process.env };
if (!env.npm_config_nodedir && headersMatchRunningNode("/usr")) env.npm_config_nodedir = "/usr";

const args = process.argv.slice(2);
const usesGlobal =
  spawnSync("pnpm", ["--version"], { encoding: "utf8", env }).stdout?.trim() === pinned.split("@")[1];
const [cmd, cmdArgs] = usesGlobal ? ["pnpm", args] : ["npx", ["-y", pinned, ...args]];
const result = spawnSync(cmd, cmdArgs, { stdio: "inherit", env, cwd: process.cwd() });
if (result.error) {
  console.error(`Could not run ${pinned}: ${result.error.message}. Is npm on your PATH?`);
  process.exit(1);
}
process.exit(result.status ?? 1);

function headersMatchRunningNode(prefix) {
  const header = join(prefix, "include", "node", "node_version.h");
  if (!existsSync(header)) return false;
  const text = readFileSync(header, "utf8");
  const part = (name) => text.match(new RegExp(`#define NODE_${name}_VERSION (\\d+)`))?.[1];
  return `v${part("MAJOR")}.${part("MINOR")}.${part("PATCH")}` === process.version;
}
