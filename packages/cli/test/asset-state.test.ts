import { beforeAll, describe, expect, it } from "vitest";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../src/index.js";
import { FS_BACKEND, filesUnder, makeProject, openStore, type Project } from "./fixture.js";
import { flowstate } from "./support.js";

let project: Project;
const cli = (argv: string[], stdin?: string) => flowstate(argv, { cwd: project.dir, stdin });

beforeAll(async () => {
  project = makeProject();
  const store = await openStore(project);
  await store.registerAsset({ name: "orders", uri: "s3://lake/orders" });
  await store.registerAsset({ name: "users", uri: "s3://lake/users" });
  await store.close();
});

describe("flowstate asset-state", () => {
  it("sets a value by name and reads it back by name or uri, through the backend", async () => {
    const set = await cli(["asset-state", "set", "watermark", "2026-11-24", "--name", "orders"]);
    expect(set.code).toBe(EXIT_OK);
    expect(set.stdout).toContain("asset 'orders' (s3://lake/orders)");
    expect((await cli(["asset-state", "get", "watermark", "--name", "orders"])).stdout).toBe("2026-11-24");
    expect((await cli(["asset-state", "get", "watermark", "--uri", "s3://lake/orders"])).stdout).toBe(
      "2026-11-24",
    );
    expect(filesUnder(project.objects).filter((file) => file.includes("watermark"))).toHaveLength(1);
  });

  it("shows the reference with --raw, not the value", async () => {
    const raw = JSON.parse(
      (await cli(["asset-state", "get", "watermark", "--name", "orders", "--raw", "--json"])).stdout,
    );
    expect(raw.stored).toMatch(/^file:\/\/.*watermark/);
    expect(raw.backend).toBe(FS_BACKEND);
    expect(raw.expiresAt).toBeUndefined(); // asset state never expires
  });

  it("lists an asset's keys, and the assets that have state", async () => {
    await cli(["asset-state", "set", "cursor", "-", "--uri", "s3://lake/orders"], "abc");
    const keys = JSON.parse((await cli(["asset-state", "list", "--name", "orders", "--json"])).stdout);
    expect(keys.asset).toEqual({ name: "orders", uri: "s3://lake/orders" });
    expect(keys.keys.map((entry: { key: string; bytes: number }) => [entry.key, entry.bytes])).toEqual([
      ["cursor", 3],
      ["watermark", 10],
    ]);
    const assets = JSON.parse((await cli(["asset-state", "list", "--json"])).stdout);
    expect(assets).toEqual({ assets: [{ name: "orders", uri: "s3://lake/orders", keys: 2 }] });
  });

  it("exits 1 explaining how an asset is registered when it is not in the store", async () => {
    const run = await cli(["asset-state", "get", "watermark", "--name", "nope"]);
    expect(run.code).toBe(EXIT_FAILURE);
    expect(run.stderr).toContain("No asset with name 'nope' is registered");
    expect(run.stderr).toContain("registerAsset");
  });

  it("exits 1 when the key is not set, and 2 when the asset is named twice or not at all", async () => {
    const missing = await cli(["asset-state", "get", "nothing", "--name", "users"]);
    expect(missing.code).toBe(EXIT_FAILURE);
    expect(missing.stderr).toContain("key 'nothing' of asset 'users' (s3://lake/users) is not set");
    expect((await cli(["asset-state", "get", "k", "--name", "users", "--uri", "s3://lake/users"])).code).toBe(
      EXIT_USAGE,
    );
    expect((await cli(["asset-state", "get", "k"])).code).toBe(EXIT_USAGE);
  });

  it("clears the asset's rows and objects", async () => {
    const run = await cli(["asset-state", "clear", "--uri", "s3://lake/orders", "--json"]);
    const cleared = JSON.parse(run.stdout);
    expect(cleared).toMatchObject({ rows: 2, objects: 2, objectsLeft: 0 });
    expect(cleared.removed.map((row: { key: string }) => row.key).sort()).toEqual(["cursor", "watermark"]);
    expect(filesUnder(project.objects)).toEqual([]);
    expect((await cli(["asset-state", "get", "watermark", "--name", "orders"])).code).toBe(EXIT_FAILURE);
  });
});
