import { gunzipSync } from "node:zlib";
import {
  AssetScope,
  InvalidScopeError,
  type ListedStateRef,
  newStateVersion,
  StateBackendError,
  StateObjectMissingError,
  StateReferenceError,
  StateValidationError,
  TaskScope,
} from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { FakeObjectStore } from "./fake-store.js";

const scope = new TaskScope({ dagId: "etl", runId: "manual__1", taskId: "extract", mapIndex: -1 });
const KEY_NAME = "p/task/etl/manual__1/extract/-1/k";
const VERSIONED = /^fake:\/\/b\/p\/task\/etl\/manual__1\/extract\/-1\/k\/[0-9a-z]{9}-[0-9a-f]{16}$/;

async function rejection(promise: Promise<unknown>): Promise<StateBackendError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StateBackendError);
  return error as StateBackendError;
}

function write(store: FakeObjectStore, value: string, key = "k", at = scope): Promise<string> {
  return store.serializeTaskStateToRef({ value, key, tiId: "ti", scope: at });
}

/** The object name inside the bucket that a reference names. */
function nameOf(ref: string): string {
  return ref.slice("fake://b/".length);
}

async function listAll(store: FakeObjectStore, ...args: Parameters<FakeObjectStore["listStateRefs"]>) {
  const refs: ListedStateRef[] = [];
  for await (const page of store.listStateRefs(...args)) {
    expect(page.length).toBeGreaterThan(0);
    refs.push(...page);
  }
  return refs;
}

describe("ObjectStorageStateBackend versions", () => {
  it("writes a new version on every serialize, each readable through its own reference", async () => {
    const store = new FakeObjectStore();
    const first = await write(store, "one");
    const second = await write(store, "two");
    expect(first).toMatch(VERSIONED);
    expect(second).toMatch(VERSIONED);
    expect(second > first).toBe(true);
    expect(await store.deserializeTaskStateFromRef(first, { key: "k", scope })).toBe("one");
    expect(await store.deserializeTaskStateFromRef(second, { key: "k", scope })).toBe("two");
    expect(store.objects.size).toBe(2);
  });

  it("set keeps only the newest version, get reads it, delete removes every version", async () => {
    const store = new FakeObjectStore();
    const ref = await write(store, "from a ref hook");
    await store.set(scope, "k", "one");
    await store.set(scope, "k", "two");
    expect([...store.objects.keys()].filter((n) => n.startsWith(`${KEY_NAME}/`))).toHaveLength(1);
    expect(store.objects.has(nameOf(ref))).toBe(false);
    expect(await store.get(scope, "k")).toBe("two");
    await store.delete(scope, "k");
    expect(await store.get(scope, "k")).toBeUndefined();
    expect(store.objects.size).toBe(0);
  });

  it("set reports success once the new version is in, even when older versions cannot be deleted", async () => {
    const store = new FakeObjectStore();
    await store.set(scope, "k", "one");
    store.failures.delete = new Error("delete refused");
    await store.set(scope, "k", "two");
    expect(await store.get(scope, "k")).toBe("two");
    expect(store.objects.size).toBe(2);
    await store.set(scope, "k", "three"); // the next set removes the leftover
    expect(store.objects.size).toBe(1);
  });

  it("get lists again when the newest version vanished between the listing and the read", async () => {
    const store = new FakeObjectStore();
    await store.set(scope, "k", "old");
    const newer = await write(store, "new");
    store.beforeOpen = (name) => {
      if (name === nameOf(newer)) store.objects.delete(name);
    };
    expect(await store.get(scope, "k")).toBe("old");
  });

  it("get gives up with a typed error when versions keep vanishing", async () => {
    const store = new FakeObjectStore();
    for (const value of ["1", "2", "3"]) await write(store, value);
    store.beforeOpen = (name) => store.objects.delete(name);
    const error = await rejection(store.get(scope, "k"));
    expect(error.message).toMatch(/the newest version vanished 3 times before it could be read/);
  });

  it("ignores objects under a key's prefix that are not versions", async () => {
    const store = new FakeObjectStore();
    store.objects.set(`${KEY_NAME}/zzzzzzzzz-not-a-version`, {
      bytes: Buffer.from("x"),
      writtenAt: new Date(),
      contentType: "x",
      metadata: {},
    });
    expect(await store.get(scope, "k")).toBeUndefined();
    await store.set(scope, "k", "v");
    expect(await store.get(scope, "k")).toBe("v");
  });
});

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
    const ref = await write(store, "v");
    store.replacedReads = 3;
    const error = await rejection(store.deserializeTaskStateFromRef(ref, { key: "k", scope }));
    expect(error.message).toBe(
      `[flowstate] [fake] deserialize failed for ${ref}: the object was replaced 3 times while it was being read: other workers keep writing this key; retry.`,
    );
    expect(error.operation).toBe("deserialize");
  });

  it("refuses an unknown encoding marker, names the package, and releases the unread body", async () => {
    const store = new FakeObjectStore();
    const ref = await write(store, "v");
    const stored = store.objects.get(nameOf(ref));
    if (stored) stored.metadata = { "flowstate-encoding": "zstd" };
    const error = await rejection(store.get(scope, "k"));
    expect(error.message).toMatch(/encoding 'zstd', which this version of @flowstate\/fake cannot read/);
    expect(store.bodies.at(-1)?.destroyed).toBe(true);
  });

  it("reads an object without a marker as plain UTF-8", async () => {
    const store = new FakeObjectStore();
    store.objects.set(`${KEY_NAME}/${newStateVersion()}`, {
      bytes: Buffer.from("\uFEFFhé", "utf8"),
      writtenAt: new Date(),
      contentType: "x",
      metadata: {},
    });
    expect(await store.get(scope, "k")).toBe("\uFEFFhé");
  });

  it("a version that is gone is StateObjectMissingError naming the reference", async () => {
    const store = new FakeObjectStore();
    const ref = await write(store, "v");
    store.objects.clear();
    const error = await rejection(store.deserializeTaskStateFromRef(ref, { key: "k", scope }));
    expect(error).toBeInstanceOf(StateObjectMissingError);
    expect(error.location).toBe(ref);
  });

  it("refuses the key's reference without a version, and another key's version", async () => {
    const store = new FakeObjectStore();
    const ref = await write(store, "v");
    const other = await write(store, "w", "other");
    for (const bad of [
      `fake://b/${KEY_NAME}`,
      other,
      `${ref}/x`,
      ref.replace("fake://b/p/", "fake://b/q/"),
    ]) {
      const error = await rejection(store.deserializeTaskStateFromRef(bad, { key: "k", scope }));
      expect(error).toBeInstanceOf(StateReferenceError);
      expect(error.location).toBe(`fake://b/${KEY_NAME}`);
    }
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
    const ref = await write(store, "x".repeat(100));
    const stored = store.objects.get(nameOf(ref));
    expect(stored?.metadata).toEqual({ "flowstate-encoding": "gzip" });
    expect(stored?.contentType).toBe("application/gzip");
    expect(gunzipSync(stored?.bytes ?? Buffer.alloc(0)).toString()).toBe("x".repeat(100));
  });

  it("records expiresAt in the metadata; null or undefined records nothing", async () => {
    const store = new FakeObjectStore();
    const expiresAt = new Date("2031-02-03T04:05:06.789Z");
    const ref = await store.serializeTaskStateToRef({ value: "v", key: "k", tiId: "t", scope, expiresAt });
    expect(store.objects.get(nameOf(ref))?.metadata).toEqual({
      "flowstate-encoding": "identity",
      "flowstate-expires-at": "2031-02-03T04:05:06.789Z",
    });
    for (const none of [null, undefined]) {
      const plain = await store.serializeTaskStateToRef({
        value: "v",
        key: "k",
        tiId: "t",
        scope,
        expiresAt: none,
      });
      expect(store.objects.get(nameOf(plain))?.metadata).toEqual({ "flowstate-encoding": "identity" });
    }
  });

  it("refuses an invalid expiresAt before anything is written", async () => {
    const store = new FakeObjectStore();
    for (const expiresAt of [new Date(Number.NaN), "2031-01-01" as never]) {
      await expect(
        store.serializeTaskStateToRef({ value: "v", key: "k", tiId: "t", scope, expiresAt }),
      ).rejects.toBeInstanceOf(StateValidationError);
    }
    expect(store.writes).toEqual([]);
  });
});

describe("ObjectStorageStateBackend deleteStateRefs", () => {
  it("deletes exactly the versions named and leaves the others", async () => {
    const store = new FakeObjectStore();
    const first = await write(store, "one");
    const second = await write(store, "two");
    await store.deleteStateRefs([{ ref: first, scope, key: "k" }]);
    expect(store.objects.has(nameOf(first))).toBe(false);
    expect(await store.deserializeTaskStateFromRef(second, { key: "k", scope })).toBe("two");
    await store.deleteStateRefs([{ ref: second }, { ref: first }]); // unscoped (the sweep), one already gone
    expect(store.objects.size).toBe(0);
  });

  it("ignores references it did not write, without touching storage", async () => {
    const store = new FakeObjectStore();
    const ref = await write(store, "v");
    const other = new TaskScope({ ...scope, taskId: "load" });
    const version = ref.slice(ref.lastIndexOf("/") + 1);
    await store.deleteStateRefs([
      { ref: `fake://b/${KEY_NAME}`, scope, key: "k" }, // the key, not a version
      { ref, scope: other, key: "k" }, // another scope's row
      { ref, scope, key: "other" }, // another key's row
      { ref: ref.replace("fake://b/p/", "fake://b/q/") }, // another prefix
      { ref: ref.replace("fake://b/", "fake://c/") }, // another bucket
      { ref: ref.replace("fake://", "s3://") }, // another backend
      { ref: `fake://b/p/task/etl/manual__1/extract/-1/k/../../x/${version}` },
      { ref: `fake://b/p/notes/${version}` },
      { ref: "not a reference" },
      { ref: 42 as never },
    ]);
    expect(store.deleted).toEqual([]);
    expect(store.objects.has(nameOf(ref))).toBe(true);
  });

  it("with a scope only, deletes versions under that scope and nothing else", async () => {
    const store = new FakeObjectStore();
    const ref = await write(store, "v");
    const other = new TaskScope({ ...scope, taskId: "load" });
    await store.deleteStateRefs([{ ref, scope: other }]);
    expect(store.objects.has(nameOf(ref))).toBe(true);
    await store.deleteStateRefs([{ ref, scope }]);
    expect(store.objects.has(nameOf(ref))).toBe(false);
  });

  it("refuses a bad scope before anything is sent, even on a closed backend", async () => {
    const store = new FakeObjectStore();
    const ref = await write(store, "v");
    await store.close();
    const bad = { kind: "task", dagId: "", runId: "r", taskId: "t" } as never;
    await expect(store.deleteStateRefs([{ ref }, { ref, scope: bad, key: "k" }])).rejects.toBeInstanceOf(
      InvalidScopeError,
    );
    expect(store.deleted).toEqual([]);
  });
});

describe("ObjectStorageStateBackend listStateRefs", () => {
  it("lists every version with when it was written, page by page, and skips other objects", async () => {
    const store = new FakeObjectStore();
    const mapped = new TaskScope({ ...scope, mapIndex: 3 });
    const asset = new AssetScope({ name: "orders" });
    const refs = [
      await write(store, "1"),
      await write(store, "2"),
      await write(store, "3", "k", mapped),
      await store.serializeAssetStateToRef({ value: "w", key: "wm", assetRef: "orders", scope: asset }),
    ];
    await store.set(scope, "direct", "v");
    store.objects.set("p/task/etl/unversioned", {
      bytes: Buffer.alloc(0),
      writtenAt: new Date(),
      contentType: "x",
      metadata: {},
    });
    store.objects.set("elsewhere/x", {
      bytes: Buffer.alloc(0),
      writtenAt: new Date(),
      contentType: "x",
      metadata: {},
    });

    const all = await listAll(store);
    expect(all.map((r) => r.ref)).toEqual(expect.arrayContaining(refs));
    expect(all).toHaveLength(5);
    for (const listed of all) expect(listed.writtenAt).toBeInstanceOf(Date);

    expect((await listAll(store, { scope })).map((r) => r.ref)).toHaveLength(3);
    expect((await listAll(store, { scope, allMapIndices: true })).map((r) => r.ref)).toHaveLength(4);
    expect((await listAll(store, { scope: asset })).map((r) => r.ref)).toEqual([refs[3]]);
  });

  it("refuses a bad scope before listing", async () => {
    const store = new FakeObjectStore();
    store.failures.list = new Error("must not be called");
    await expect(listAll(store, { scope: { kind: "asset" } as never })).rejects.toBeInstanceOf(
      InvalidScopeError,
    );
    expect(store.failures.list).toBeDefined();
  });
});

describe("ObjectStorageStateBackend failures and close", () => {
  it("wraps a client failure with the operation and location", async () => {
    const store = new FakeObjectStore();
    store.nextFailure = new Error("boom");
    const error = await rejection(store.delete(scope, "k"));
    expect(error.message).toBe(`[flowstate] [fake] delete failed for fake://b/${KEY_NAME}/: wrapped: boom`);
    expect((error.cause as Error).message).toBe("boom");
  });

  it("wraps a failure of a listing page", async () => {
    const store = new FakeObjectStore();
    store.failures.list = new Error("list boom");
    const error = await rejection(listAll(store));
    expect(error.message).toBe("[flowstate] [fake] list failed for fake://b/p/: wrapped: list boom");
  });

  it("passes a StateBackendError from a primitive through unwrapped", async () => {
    const store = new FakeObjectStore();
    const original = new StateBackendError("already explained", { backend: "fake", operation: "clear" });
    store.nextFailure = original;
    expect(await rejection(store.clear(scope))).toBe(original);
  });

  it("closes the client once and refuses every call after close without touching storage", async () => {
    const store = new FakeObjectStore();
    const ref = await write(store, "v");
    await store.close();
    await store.close();
    expect(store.closedClients).toBe(1);
    const calls = [
      store.set(scope, "k", "v"),
      store.get(scope, "k"),
      store.deserializeTaskStateFromRef(ref, { key: "k", scope }),
      store.deleteStateRefs([{ ref }]),
      listAll(store),
    ];
    for (const call of calls) expect((await rejection(call)).message).toMatch(/: the backend is closed/);
    expect(store.writes).toHaveLength(1);
    expect(store.deleted).toEqual([]);
  });
});
