import { gunzipSync } from "node:zlib";
import { StateBackendError, TaskScope } from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { FakeObjectStore } from "./fake-store.js";

const scope = new TaskScope({ dagId: "etl", runId: "manual__1", taskId: "extract", mapIndex: -1 });
const NAME = "p/task/etl/manual__1/extract/-1/k";

async function rejection(promise: Promise<unknown>): Promise<StateBackendError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StateBackendError);
  return error as StateBackendError;
}

describe("ObjectStorageStateBackend reads", () => {
  it("reads again when the object was replaced between its metadata and its bytes", async () => {
    const store = new FakeObjectStore();
    await store.set(scope, "k", "value");
    store.replacedReads = 2;
    expect(await store.get(scope, "k")).toBe("value");
    expect(store.replacedReads).toBe(0);
  });

  it("gives up with a typed error after three replaced reads", async () => {
    const store = new FakeObjectStore();
    const ref = await store.serializeTaskStateToRef({ value: "v", key: "k", tiId: "ti", scope });
    store.replacedReads = 3;
    const error = await rejection(store.deserializeTaskStateFromRef(ref, { key: "k", scope }));
    expect(error.message).toBe(
      `[flowstate] [fake] deserialize failed for fake://b/${NAME}: the object was replaced 3 times while it was being read: other workers keep writing this key; retry.`,
    );
    expect(error.operation).toBe("deserialize");
  });

  it("refuses an unknown encoding marker, names the package, and releases the unread body", async () => {
    const store = new FakeObjectStore();
    await store.set(scope, "k", "v");
    const stored = store.objects.get(NAME);
    if (stored) stored.metadata = { "flowstate-encoding": "zstd" };
    const error = await rejection(store.get(scope, "k"));
    expect(error.message).toMatch(/encoding 'zstd', which this version of @flowstate\/fake cannot read/);
    expect(store.bodies.at(-1)?.destroyed).toBe(true);
  });

  it("reads an object without a marker as plain UTF-8", async () => {
    const store = new FakeObjectStore();
    store.objects.set(NAME, { bytes: Buffer.from("\uFEFFhé", "utf8"), contentType: "x", metadata: {} });
    expect(await store.get(scope, "k")).toBe("\uFEFFhé");
  });
});

describe("ObjectStorageStateBackend writes", () => {
  it("hands values below the stream threshold over as a Buffer and larger ones as a stream", async () => {
    const store = new FakeObjectStore({}, 4);
    await store.set(scope, "small", "abc");
    await store.set(scope, "large", "abcd");
    expect(store.writes.map((w) => w.body)).toEqual(["buffer", "stream"]);
    expect(await store.get(scope, "large")).toBe("abcd");
  });

  it("records the encoding and its content type with each object", async () => {
    const store = new FakeObjectStore({ compression: "gzip" });
    await store.set(scope, "k", "x".repeat(100));
    const stored = store.objects.get(NAME);
    expect(stored?.metadata).toEqual({ "flowstate-encoding": "gzip" });
    expect(stored?.contentType).toBe("application/gzip");
    expect(gunzipSync(stored?.bytes ?? Buffer.alloc(0)).toString()).toBe("x".repeat(100));
  });
});

describe("ObjectStorageStateBackend failures and close", () => {
  it("wraps a client failure with the operation and location", async () => {
    const store = new FakeObjectStore();
    store.nextFailure = new Error("boom");
    const error = await rejection(store.delete(scope, "k"));
    expect(error.message).toBe(`[flowstate] [fake] delete failed for fake://b/${NAME}: wrapped: boom`);
    expect((error.cause as Error).message).toBe("boom");
  });

  it("passes a StateBackendError from a primitive through unwrapped", async () => {
    const store = new FakeObjectStore();
    const original = new StateBackendError("already explained", { backend: "fake", operation: "clear" });
    store.nextFailure = original;
    expect(await rejection(store.clear(scope))).toBe(original);
  });

  it("closes the client once and refuses every call after close without touching storage", async () => {
    const store = new FakeObjectStore();
    await store.close();
    await store.close();
    expect(store.closedClients).toBe(1);
    const error = await rejection(store.set(scope, "k", "v"));
    expect(error.message).toMatch(/set failed for fake:\/\/b\/.*: the backend is closed/);
    expect(store.writes).toEqual([]);
  });
});
