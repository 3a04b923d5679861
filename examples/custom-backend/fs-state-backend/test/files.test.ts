// What the files on disk look like, and what the backend leaves alone.
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { listAllStateRefs } from "@flowstate/backend-test-suite";
import { TaskScope } from "@flowstate/shared-state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSystemStateBackend } from "../src/index.js";

const scope = new TaskScope({ dagId: "dag", runId: "run", taskId: "task" });
let root: string;
let backend: FileSystemStateBackend;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "flowstate-fs-files-"));
  backend = new FileSystemStateBackend({ root });
});
afterEach(() => rm(root, { recursive: true, force: true }));

const keyFolder = () => join(root, "task", "dag", "run", "task", "-1", "k");
const refsIn = async () => (await listAllStateRefs(backend)).map((entry) => entry.ref);

describe("FileSystemStateBackend files", () => {
  it("keeps one file per version in the key's folder, and set leaves only the newest", async () => {
    const first = await backend.serializeTaskStateToRef({ value: "1", key: "k", tiId: "ti", scope });
    const second = await backend.serializeTaskStateToRef({ value: "2", key: "k", tiId: "ti", scope });
    expect((await readdir(keyFolder())).length).toBe(2);
    expect((await refsIn()).sort()).toEqual([first, second].sort());
    await backend.set(scope, "k", "3");
    const [newest = ""] = await readdir(keyFolder());
    expect(await readdir(keyFolder())).toHaveLength(1);
    expect(await refsIn()).toEqual([pathToFileURL(join(keyFolder(), newest)).href]);
  });

  it("neither lists nor deletes files it did not write: temporary files, strays, other spellings of its URLs", async () => {
    const ref = await backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "ti", scope });
    const version = ref.slice(ref.lastIndexOf("/") + 1);
    await writeFile(join(keyFolder(), `.${version}.crashed.tmp`), "half");
    await mkdir(join(root, "notes"));
    await writeFile(join(root, "notes", "README"), "mine");
    expect(await refsIn()).toEqual([ref]);
    await backend.deleteStateRefs([
      { ref: pathToFileURL(join(root, "notes", "README")).href },
      { ref: pathToFileURL(join(keyFolder(), `.${version}.crashed.tmp`)).href },
      { ref: ref.replace("/task/dag/", "/task/./dag/") },
      { ref: ref.replace("/dag/", "/DAG/") },
      { ref: ref.replace("/dag/", "/%64ag/") },
      { ref: ref.replace("/dag/", "/a%2Fb/") },
    ]);
    expect((await readdir(keyFolder())).sort()).toEqual([`.${version}.crashed.tmp`, version].sort());
    expect(await readdir(join(root, "notes"))).toEqual(["README"]);
  });

  it("lists nothing, and reads nothing, when the root folder does not exist yet", async () => {
    const empty = new FileSystemStateBackend({ root: join(root, "not-yet") });
    expect(await listAllStateRefs(empty)).toEqual([]);
    expect(await empty.get(scope, "k")).toBeUndefined();
  });
});
