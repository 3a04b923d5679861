import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type ConfigReader, TaskScope } from "@flowstate/shared-state";
import { afterEach, describe, expect, it } from "vitest";
import { FileSystemStateBackend } from "../src/index.js";

const scope = new TaskScope({ dagId: "Dag", runId: "run", taskId: "task" });
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("FileSystemStateBackend options", () => {
  it("takes a relative root from the config file's folder", async () => {
    const baseDir = await mkdtemp(join(tmpdir(), "flowstate-fs-"));
    dirs.push(baseDir);
    const backend = new FileSystemStateBackend({ root: "state" }, { config: { baseDir } as ConfigReader });
    expect(backend.root).toBe(join(baseDir, "state"));
    const ref = await backend.serializeTaskStateToRef({ value: "v", key: "Key", tiId: "ti", scope });
    // upper-case letters are spelt ^x so case-insensitive file systems keep keys apart
    const folder = join(baseDir, "state", "task", "^dag", "run", "task", "-1", "^key");
    const [version = ""] = await readdir(folder);
    expect(ref).toBe(pathToFileURL(join(folder, version)).href);
    expect(await readFile(join(folder, version), "utf8")).toBe("v");
  });

  it.each([
    [{ root: "" }, /must be a non-empty folder path/],
    [{ root: 7 }, /must be a non-empty folder path/],
    [{ rooot: "x" }, /Unknown option\(s\) rooot .* the only option is "root"/],
  ])("refuses %j with a ConfigError", (options, message) => {
    expect(() => new FileSystemStateBackend(options as never)).toThrow(message);
  });
});
