import { join } from "node:path";
import { ConfigError, type ConfigReader } from "@flowstate/shared-state";
import { afterEach, describe, expect, it } from "vitest";
import { openStateStore, type StateStore } from "../src/index.js";
import { configOf, TASK, tempDir } from "./helpers.js";

const opened: StateStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

async function open(conf: ConfigReader): Promise<StateStore> {
  const store = await openStateStore(conf);
  opened.push(store);
  return store;
}

/** Whether the store deletes a task's rows on success. */
async function clearsOnSuccess(store: StateStore): Promise<boolean> {
  const ti = await store.createTaskInstance(TASK);
  await store.client().setTaskState(ti.id, "k", "v", { expiresAt: null });
  await store.client().succeedTask(ti.id);
  return (await store.listTaskState()).length === 0;
}

describe("openStateStore", () => {
  it("opens an absolute sqlite:////path", async () => {
    const dir = await tempDir();
    const path = join(dir, "abs", "metadata.db");
    const store = await open(
      configOf({ database: { sql_alchemy_conn: `sqlite:///${path}` } }, "/nonexistent"),
    );
    expect(store.location).toBe(path);
  });

  it("resolves a relative sqlite:///file against the config's folder", async () => {
    const dir = await tempDir();
    const store = await open(configOf({ database: { sql_alchemy_conn: "sqlite:///data/flow.db" } }, dir));
    expect(store.location).toBe(join(dir, "data", "flow.db"));
  });

  it("defaults to airflow.db in the config's folder, like Airflow, and clear_on_success off", async () => {
    const dir = await tempDir();
    const store = await open(configOf({}, dir));
    expect(store.location).toBe(join(dir, "airflow.db"));
    expect(await clearsOnSuccess(store)).toBe(false);
  });

  it("reads [state_store] clear_on_success", async () => {
    const dir = await tempDir();
    const conf = configOf(
      { database: { sql_alchemy_conn: "sqlite:///on.db" }, state_store: { clear_on_success: "True" } },
      dir,
    );
    expect(await clearsOnSuccess(await open(conf))).toBe(true);
  });

  it("passes on a bad clear_on_success as the ConfigReader's ConfigError", async () => {
    const conf = configOf({ state_store: { clear_on_success: "maybe" } }, await tempDir());
    await expect(openStateStore(conf)).rejects.toThrow(ConfigError);
  });

  it.each([
    ["not a URL", "/var/lib/airflow.db", /is not a database URL/],
    ["in-memory (no path)", "sqlite://", /in-memory database/],
    ["no file name", "sqlite:///", /names no file/],
    ["in-memory (:memory:)", "sqlite:///:memory:", /in-memory database/],
    ["a host", "sqlite://host/file.db", /names a host/],
    ["query parameters", "sqlite:///file.db?mode=ro", /query parameters/],
    ["mysql", "mysql://u:p@h/db", /uses 'mysql', but only sqlite and PostgreSQL/],
  ])("refuses %s with a ConfigError that shows a working example", async (_name, url, message) => {
    const dir = await tempDir();
    const open = openStateStore(configOf({ database: { sql_alchemy_conn: url } }, dir));
    await expect(open).rejects.toThrow(ConfigError);
    await expect(open).rejects.toThrow(message);
    await expect(open).rejects.toThrow("sqlite:////absolute/path/airflow.db");
  });
});
