// The backend check: loads the configured backend as a worker does, says where it came from, and
// probes it with a set/get/delete in a scratch scope. Real backends only: the memory backend
// resolved from this package, and small backend classes written to a temp folder as a plugin would be.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { StateBackendError, StateBackendLoadError } from "@flowstate/shared-state";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  Config,
  checkStateBackend,
  checkStateBackendOnStart,
  getWorkerStateBackend,
  resetWorkerStateBackendCache,
  STATE_BACKEND_CHECK_DAG_ID,
} from "../src/index.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const SHARED_STATE_DIST = new URL("../../shared-state/dist/index.js", import.meta.url).href;
const MEMORY = "@flowstate/backend-memory.MemoryStateBackend";

// Backends as a plugin author might (mis)write them, importing shared-state as a plugin does.
const PLUGIN = `
import { BaseStateBackend, StateBackendError } from ${JSON.stringify(SHARED_STATE_DIST)};
const stored = new Map();
class Base extends BaseStateBackend {
  async get() { return undefined; }
  async set() {}
  async delete() {}
  async clear() {}
}
export class WrongValueBackend extends Base {
  async serializeTaskStateToRef({ value }) {
    const ref = "wrong://" + stored.size;
    stored.set(ref, value);
    return ref;
  }
  async deserializeTaskStateFromRef(ref) { return stored.get(ref).toUpperCase(); }
  async deleteStateRefs(refs) { for (const { ref } of refs) stored.delete(ref); }
}
export class UnreachableBackend extends Base {
  async serializeTaskStateToRef() {
    throw new Error("connect ECONNREFUSED https://admin:hunter2@store.internal/?X-Amz-Signature=abc123");
  }
}
export class HangingBackend extends Base {
  serializeTaskStateToRef() { return new Promise(() => {}); }
}
export class UndeletableBackend extends Base {
  async serializeTaskStateToRef({ value }) { return value; }
  async deleteStateRefs() {
    throw new StateBackendError("access denied: grant delete", { backend: "undeletable", operation: "delete" });
  }
}
`;

let pluginDir: string;
beforeAll(async () => {
  pluginDir = await mkdtemp(join(tmpdir(), "flowstate-check-"));
  await writeFile(join(pluginDir, "backends.mjs"), PLUGIN);
});
afterAll(() => rm(pluginDir, { recursive: true, force: true }));
afterEach(() => resetWorkerStateBackendCache());

let namespaces = 0;
/** A config whose `[workers]` section has these lines, isolated from the machine's environment. */
function workers(lines: string[], baseDir = HERE, env: Record<string, string> = {}): Config {
  return Config.fromString(["[workers]", ...lines].join("\n"), { baseDir, env });
}
const memory = (...more: string[]) =>
  workers([
    `state_backend = ${MEMORY}`,
    `state_backend_kwargs = {"namespace": "check-${++namespaces}"}`,
    ...more,
  ]);
const plugin = (name: string, ...more: string[]) =>
  workers([`state_backend = ./backends.mjs.${name}`, ...more], pluginDir);

describe("checkStateBackend", () => {
  it("reports what it loaded from where, and times every probe step", async () => {
    const report = await checkStateBackend(memory());
    expect(report).toMatchObject({
      ok: true,
      configured: true,
      classPath: MEMORY,
      source: "config text line 2",
      module: { packageName: "@flowstate/backend-memory", packageVersion: "0.1.0" },
    });
    expect(report.module?.file).toMatch(/backend-memory[/\\]dist[/\\]index\.js$/);
    expect(report.probe?.dagId).toBe(STATE_BACKEND_CHECK_DAG_ID);
    expect(report.probe?.steps.map((step) => [step.step, step.ok])).toEqual([
      ["set", true],
      ["get", true],
      ["delete", true],
    ]);
    for (const { ms } of report.probe?.steps ?? []) {
      expect(typeof ms).toBe("number");
      expect(Number.isFinite(ms) && ms >= 0).toBe(true);
    }
    expect(typeof report.loadMs).toBe("number");
  });

  it("leaves nothing behind in the backend, and uses a new scratch run each time", async () => {
    const conf = memory();
    const first = await checkStateBackend(conf);
    const second = await checkStateBackend(conf);
    expect(first.probe?.runId).not.toBe(second.probe?.runId);
    const backend = await getWorkerStateBackend(conf);
    const refs = [];
    for await (const page of backend?.listStateRefs() ?? []) refs.push(...page);
    expect(refs).toEqual([]);
  });

  it("names the environment variable the class path came from", async () => {
    const conf = workers([], HERE, { AIRFLOW__WORKERS__STATE_BACKEND: MEMORY });
    const report = await checkStateBackend(conf, { probe: false });
    expect(report).toMatchObject({
      ok: true,
      source: "environment variable AIRFLOW__WORKERS__STATE_BACKEND",
    });
  });

  it("only loads with probe: false", async () => {
    const report = await checkStateBackend(plugin("UnreachableBackend"), { probe: false });
    expect(report.ok).toBe(true);
    expect(report.probe).toBeUndefined();
    expect(report.module?.file).toBe(join(pluginDir, "backends.mjs"));
  });

  it("says values stay in the metadata store when no backend is configured, and passes", async () => {
    const report = await checkStateBackend(workers([]));
    expect(report).toMatchObject({ ok: true, configured: false });
    expect(report.summary).toContain("kept in the metadata store");
  });

  it("reports a misspelled class path as a load failure with its cause and fix", async () => {
    const report = await checkStateBackend(
      workers(["state_backend = @flowstate/backend-memroy.MemoryStateBackend"]),
    );
    expect(report.ok).toBe(false);
    expect(report.probe).toBeUndefined();
    expect(report.failure?.step).toBe("load");
    expect(report.failure?.error).toMatchObject({
      name: "StateBackendLoadError",
      code: "FLOWSTATE_BACKEND_LOAD",
    });
    expect(report.failure?.error.causes[0]).toContain("Cannot find module '@flowstate/backend-memroy'");
    expect(report.failure?.fix).toContain("Install the package");
  });

  it("fails the probe at 'get' when the backend reads back a different value", async () => {
    const report = await checkStateBackend(plugin("WrongValueBackend"));
    expect(report.ok).toBe(false);
    expect(report.failure?.step).toBe("get");
    expect(report.failure?.error.message).toContain("returned a different value");
    expect(report.failure?.fix).toContain("@flowstate/backend-test-suite");
    expect(report.probe?.steps.map((step) => [step.step, step.ok])).toEqual([
      ["set", true],
      ["get", false],
    ]);
  });

  it("fails at 'set' with the storage error redacted", async () => {
    const report = await checkStateBackend(plugin("UnreachableBackend"));
    expect(report.failure?.step).toBe("set");
    expect(report.failure?.error.message).toContain("ECONNREFUSED");
    expect(JSON.stringify(report)).not.toMatch(/hunter2|abc123/);
  });

  it("fails a step that does not answer in time", async () => {
    const report = await checkStateBackend(plugin("HangingBackend"), { timeoutMs: 50 });
    expect(report.failure?.step).toBe("set");
    expect(report.failure?.error.message).toContain("did not answer within 50 ms");
    expect(report.probe?.steps[0]?.ms).toBeGreaterThanOrEqual(40);
  });

  it("fails at 'delete' when the backend cannot delete what it wrote", async () => {
    const report = await checkStateBackend(plugin("UndeletableBackend"));
    expect(report.failure).toMatchObject({
      step: "delete",
      error: { message: expect.stringContaining("grant delete") },
    });
  });
});

describe("checkStateBackendOnStart", () => {
  it("does nothing with [workers] state_backend_check_on_start off (the default)", async () => {
    await expect(checkStateBackendOnStart(workers(["state_backend = no-such-plugin.Backend"]))).resolves.toBe(
      undefined,
    );
  });

  it("fails the worker on a broken class path with the option on", async () => {
    const conf = workers(["state_backend = no-such-plugin.Backend", "state_backend_check_on_start = True"]);
    const error = await checkStateBackendOnStart(conf).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StateBackendLoadError);
    expect((error as Error).message).toContain("'no-such-plugin.Backend'");
    expect((error as Error).cause).toMatchObject({ name: "ImportStringError", reason: "module-not-found" });
  });

  it("fails the worker naming the probe step when the backend reads back a different value", async () => {
    const error = await checkStateBackendOnStart(
      plugin("WrongValueBackend", "state_backend_check_on_start = true"),
    ).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StateBackendError);
    expect(error).toMatchObject({ operation: "deserialize", backend: "./backends.mjs.WrongValueBackend" });
    expect((error as Error).message).toContain("failed at step 'get'");
    expect((error as Error).message).toContain("Fix:");
  });

  it("returns the report when the backend passes", async () => {
    const report = await checkStateBackendOnStart(memory("state_backend_check_on_start = True"));
    expect(report?.ok).toBe(true);
    expect(report?.probe?.steps).toHaveLength(3);
  });

  it("refuses an option that is not a boolean", async () => {
    await expect(
      checkStateBackendOnStart(memory("state_backend_check_on_start = maybe")),
    ).rejects.toMatchObject({
      name: "ConfigError",
      key: "state_backend_check_on_start",
    });
  });
});
