#!/usr/bin/env node
// The README's test command (`npm test`): installs what it needs, builds, lints, typechecks and
// runs every vitest project, then prints one plain line `N passed, N failed`. A failing step
// other than the tests counts as one failure; install and build failures stop the run.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const results = join(root, ".vitest-results.json");
const extraVitestArgs = process.argv.slice(2);

const steps = [
  {
    name: "install",
    cmd: process.execPath,
    args: [join(root, "scripts", "pnpm.mjs"), "install"],
    fatal: true,
  },
  { name: "build", cmd: bin("tsc"), args: ["-b"], fatal: true },
  { name: "lint", cmd: bin("biome"), args: ["check", "."] },
  { name: "typecheck tests", cmd: bin("tsc"), args: ["-p", "tsconfig.test.json"] },
];

let failedSteps = 0;
for (const step of steps) {
  console.log(`\n▶ ${step.name}`);
  const { status, error } = spawnSync(step.cmd, step.args, { cwd: root, stdio: "inherit" });
  if (status === 0) continue;
  console.error(`✗ ${step.name} failed${error ? `: ${error.message}` : ` (exit ${status})`}`);
  failedSteps += 1;
  if (step.fatal) finish(0, failedSteps);
}

console.log("\n▶ tests");
rmSync(results, { force: true });
const vitest = spawnSync(
  bin("vitest"),
  ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${results}`, ...extraVitestArgs],
  { cwd: root, stdio: "inherit" },
);
if (!existsSync(results)) {
  console.error(`✗ vitest wrote no results (exit ${vitest.status})`);
  finish(0, failedSteps + 1);
}
const summary = JSON.parse(readFileSync(results, "utf8"));
const failedTests = summary.numFailedTests + (vitest.status !== 0 && summary.numFailedTests === 0 ? 1 : 0);
if (summary.numPassedTests === 0) console.error("✗ no test ran");
finish(summary.numPassedTests, failedTests + failedSteps, summary.numPendingTests + summary.numTodoTests);

function finish(passed, failed, skipped = 0) {
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
