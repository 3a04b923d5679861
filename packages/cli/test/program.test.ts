import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EXIT_OK, EXIT_USAGE } from "../src/index.js";
import { flowstate } from "./support.js";

const cwd = mkdtempSync(join(tmpdir(), "flowstate-cli-"));

describe("flowstate", () => {
  it("runs from the repository root as `pnpm flowstate` (the root script)", () => {
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const run = spawnSync(
      process.execPath,
      [join(root, "scripts", "pnpm.mjs"), "--silent", "flowstate", "--version"],
      {
        cwd: root,
        encoding: "utf8",
      },
    );
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("0.1.0");
    expect(run.status).toBe(0);
  });

  it("prints its version from package.json", async () => {
    const run = await flowstate(["--version"], { cwd });
    expect(run).toMatchObject({ code: EXIT_OK, stdout: "0.1.0\n" });
  });

  it("lists every command in --help", async () => {
    const run = await flowstate(["--help"], { cwd });
    expect(run.code).toBe(EXIT_OK);
    for (const command of ["config", "backend", "state", "asset-state", "db", "api-server", "token"])
      expect(run.stdout).toContain(`  ${command}`);
  });

  it("exits 2 on an unknown command and suggests the nearest one", async () => {
    const run = await flowstate(["confg"], { cwd });
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain("unknown command 'confg'");
    expect(run.stderr).toContain("Did you mean config?");
  });
});
