import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
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

  it("prints a process warning as one plain line (the bin), not Node's default with its hint", () => {
    const dir = mkdtempSync(join(tmpdir(), "flowstate-cli-warn-"));
    writeFileSync(join(dir, "airflow.cfg"), "[core]\nsql_alchemy_conn = sqlite:///old.db\n");
    const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
    const run = spawnSync(process.execPath, [bin, "config", "get-value", "database", "sql_alchemy_conn"], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: dir },
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("sqlite:///old.db\n");
    expect(run.stderr).toBe(
      "warning: The sql_alchemy_conn option in [core] has been moved to the sql_alchemy_conn option in [database] - the old setting has been used, but please update your config.\n",
    );
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
