// The operator guide must list every built-in config key with its default and environment
// variable: operators read the README, not the source.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CONFIG_DEFAULTS } from "@flowstate/sdk";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./support.js";

const readme = await readFile(join(repoRoot, "README.md"), "utf8");
const keys = Object.entries(CONFIG_DEFAULTS).flatMap(([section, options]) =>
  Object.entries(options).map(([key, option]) => ({ section, key, fallback: String(option.default) })),
);

describe("README operator guide", () => {
  it.each(keys)(
    "documents [$section] $key, its default and its environment variable",
    ({ section, key, fallback }) => {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`[${section}] ${key}\``));
      expect(row, `no table row for [${section}] ${key}`).toBeDefined();
      expect(row).toContain(`AIRFLOW__${section.toUpperCase()}__${key.toUpperCase()}`);
      expect(row).toContain(fallback === "" ? "_(empty)_" : `\`${fallback}\``);
    },
  );

  it("shows exactly two quickstart commands, and the test command is what CI runs", async () => {
    const quickstart = readme.slice(readme.indexOf("## Quickstart"), readme.indexOf("## How it works"));
    const commands =
      quickstart
        .match(/```sh\n([\s\S]*?)```/)?.[1]
        ?.trim()
        .split("\n") ?? [];
    expect(commands.map((line) => line.split("#")[0]?.trim())).toEqual(["npm run quickstart", "npm test"]);
    expect(await readFile(join(repoRoot, ".ci", "run"), "utf8")).toMatch(/^npm test$/m);
  });
});
