// The sdk's accessors over HttpStateClient against a real server on 127.0.0.1, with a real
// SQLite store and a memory backend: values stay with the worker, references cross the network.
import { readdir, readFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { MemoryStateBackend } from "@flowstate/backend-memory";
import {
  AssetStateAccessor,
  Config,
  HttpStateClient,
  NEVER_EXPIRE,
  runTask,
  StateApiError,
  TaskStateAccessor,
} from "@flowstate/sdk";
import {
  AssetNotFoundError,
  InvalidStateValueError,
  TaskInstanceNotFoundError,
  TaskScope,
} from "@flowstate/shared-state";
import { startHttpServer, type TestHttpServer } from "@flowstate/test-support";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RunningApiServer, startApiServer } from "../src/index.js";
import { ORDERS, SECRET, tokenFor, useServer } from "./helpers.js";

const SCOPE = new TaskScope({ dagId: "dag", runId: "run", taskId: "task", mapIndex: 0 });
const conf = Config.fromString("", { env: {} });

describe("HttpStateClient against the server", () => {
  const h = useServer({ clearOnSuccess: true });
  let server: RunningApiServer;
  let client: HttpStateClient;
  let backend: MemoryStateBackend;
  /** What reached the server: every request line and body, as raw bytes. */
  let received: Buffer[];
  let proxy: TestHttpServer;

  beforeEach(async () => {
    server = await startApiServer({ store: h.store, jwtSecret: SECRET, port: 0, logger: false });
    received = [];
    proxy = await startRecordingProxy(server.port, received);
    client = new HttpStateClient({ url: `${proxy.endpoint}/execution`, token: h.token, timeoutMs: 5000 });
    backend = new MemoryStateBackend({ namespace: `api-${Math.random().toString(36).slice(2)}` });
  });
  afterEach(async () => {
    await client.close();
    await proxy.close();
    await server.close();
  });

  const taskState = (withBackend = true) =>
    new TaskStateAccessor({
      tiId: h.ti.id,
      scope: SCOPE,
      client,
      conf,
      backend: withBackend ? backend : undefined,
      backendClassPath: "@flowstate/backend-memory.MemoryStateBackend",
    });

  it("round-trips task state through a backend; the row holds only a reference", async () => {
    const state = taskState();
    await state.set("job_id", "app_1");
    await state.set("job_id", "app_2", { retention: NEVER_EXPIRE });
    expect(await state.get("job_id")).toBe("app_2");
    const [row] = await h.store.listTaskState();
    expect(row).toMatchObject({ key: "job_id", backend: "@flowstate/backend-memory.MemoryStateBackend" });
    expect(row?.value).not.toContain("app_2");
    expect(await state.get("missing")).toBeUndefined();
    await state.set("other", "x");
    await state.delete("job_id");
    expect(await state.get("job_id")).toBeUndefined();
    await state.clear();
    expect(await h.store.listTaskState()).toEqual([]);
    expect(await storedRefs(backend)).toEqual([]); // every replaced or removed version was deleted
  });

  it("sends plain values when no backend is configured", async () => {
    const state = taskState(false);
    await state.set("k", "plain");
    expect(await state.get("k")).toBe("plain");
    expect((await h.store.listTaskState())[0]).toMatchObject({ value: "plain", backend: null });
  });

  it("never sends a value byte to the server when a backend is configured", async () => {
    const marker = `MARKER-${Math.random().toString(36).slice(2)}-`;
    const value = marker.repeat(Math.ceil(100_000 / marker.length));
    const state = taskState();
    await state.set("big", value);
    expect(await state.get("big")).toBe(value);
    const asset = new AssetStateAccessor({ name: ORDERS.name, client, conf, backend });
    await asset.set("watermark", value);
    expect(await asset.get("watermark")).toBe(value);
    const sent = Buffer.concat(received).toString("utf8");
    expect(sent).toContain("PUT /execution/task-states/");
    expect(sent).not.toContain(marker);
    for (const file of await readdir(h.dir)) {
      expect((await readFile(join(h.dir, file))).includes(marker), file).toBe(false);
    }
  });

  it("round-trips asset state by name and by uri as one asset", async () => {
    const byName = new AssetStateAccessor({ name: ORDERS.name, client, conf, backend });
    const byUri = new AssetStateAccessor({ uri: ORDERS.uri, client, conf, backend });
    await byName.set("watermark", "2024-01-01");
    expect(await byUri.get("watermark")).toBe("2024-01-01");
    await byUri.delete("watermark");
    expect(await byName.get("watermark")).toBeUndefined();
    await byName.set("a", "1");
    await byUri.clear();
    expect(await h.store.listAssetState()).toEqual([]);
    expect(await client.getAsset({ uri: ORDERS.uri })).toEqual(ORDERS);
  });

  it("runs a task over HTTP: clear_on_success answers the rows, their objects are deleted", async () => {
    const result = await runTask({
      task: { execute: (context) => context.taskState.set("checkpoint", "42") },
      ti: { id: h.ti.id, dagId: "dag", runId: "run", taskId: "task", mapIndex: 0 },
      client,
      conf,
      backend,
    });
    expect(result.state).toBe("success");
    expect(await h.store.listTaskState()).toEqual([]);
    expect(await storedRefs(backend)).toEqual([]);
  });

  it("maps error bodies to the shared-state errors", async () => {
    const ghost = new HttpStateClient({ url: server.apiUrl, token: await tokenFor("ghost") });
    await expect(ghost.getTaskState("ghost", "k")).rejects.toBeInstanceOf(TaskInstanceNotFoundError);
    await ghost.close();
    const later = new HttpStateClient({
      url: server.apiUrl,
      token: await tokenFor(h.ti.id, [{ name: "later" }]),
    });
    await expect(later.setAssetState({ name: "later" }, "k", "v")).rejects.toBeInstanceOf(AssetNotFoundError);
    expect(await later.getAssetState({ name: "later" }, "k")).toBeUndefined();
    expect(await later.getAsset({ name: "later" })).toBeUndefined();
    await later.close();
    const big = client.setTaskState(h.ti.id, "k", "x".repeat(70_000), { expiresAt: null });
    await expect(big).rejects.toBeInstanceOf(InvalidStateValueError);
    await expect(big).rejects.toThrow("[workers] state_backend");
    await expect(client.getTaskState(h.sibling.id, "k")).rejects.toMatchObject({
      status: 403,
      reason: "forbidden",
    });
    const stranger = new HttpStateClient({ url: server.apiUrl, token: "not-a-token" });
    const refused = stranger.getTaskState(h.ti.id, "k");
    await expect(refused).rejects.toBeInstanceOf(StateApiError);
    await expect(refused).rejects.toMatchObject({ status: 401 });
    await stranger.close();
  });

  it("lets two servers on one database serve the same state", async () => {
    const { openSqliteStateStore } = await import("@flowstate/store");
    const secondStore = await openSqliteStateStore({ path: join(h.dir, "airflow.db") });
    const second = await startApiServer({ store: secondStore, jwtSecret: SECRET, port: 0, logger: false });
    const other = new HttpStateClient({ url: second.apiUrl, token: h.token });
    try {
      await taskState().set("shared", "value");
      const viaSecond = new TaskStateAccessor({ tiId: h.ti.id, scope: SCOPE, client: other, conf, backend });
      expect(await viaSecond.get("shared")).toBe("value");
    } finally {
      await other.close();
      await second.close();
      await secondStore.close();
    }
  });
});

/** A proxy to the server on `port` that records every request line and body byte it forwards. */
function startRecordingProxy(port: number, received: Buffer[]): Promise<TestHttpServer> {
  return startHttpServer((request, response) => {
    received.push(Buffer.from(`${request.method} ${request.url}\n`));
    const upstream = httpRequest(
      { host: "127.0.0.1", port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => response.destroy());
    request.on("data", (chunk: Buffer) => received.push(chunk));
    request.pipe(upstream);
  });
}

/** Every reference the backend holds. */
async function storedRefs(backend: MemoryStateBackend): Promise<string[]> {
  const refs: string[] = [];
  for await (const page of backend.listStateRefs()) refs.push(...page.map((entry) => entry.ref));
  return refs;
}
