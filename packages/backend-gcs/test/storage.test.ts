import { brotliDecompressSync, gunzipSync } from "node:zlib";
import {
  AssetScope,
  joinStoragePath,
  type ListedStateRef,
  newStateVersion,
  StateBackendError,
  StateReferenceError,
  statePath,
  TaskScope,
  versionedStatePath,
} from "@flowstate/shared-state";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { GcsStateBackend } from "../src/index.js";
import { backendOn, MIB, rawStorage, sampleText, uniquePrefix, uniqueTaskScope } from "./support/helpers.js";
import { startRecordingProxy } from "./support/http-servers.js";

const emulator = inject("gcsEmulator");
const raw = rawStorage(emulator).bucket(emulator.bucket);
const opened: GcsStateBackend[] = [];
afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
});

function open(extra: Parameters<typeof backendOn>[1] = {}): GcsStateBackend {
  const backend = backendOn(emulator, extra);
  opened.push(backend);
  return backend;
}

async function readRaw(name: string): Promise<{ bytes: Buffer; metadata: Record<string, unknown> }> {
  const file = raw.file(name);
  const [[bytes], [metadata]] = await Promise.all([file.download(), file.getMetadata()]);
  return { bytes, metadata: { ...metadata.metadata, contentType: metadata.contentType } };
}

async function listNames(prefix: string): Promise<string[]> {
  const [files] = await raw.getFiles({ prefix });
  return files.map((f) => f.name);
}

/** A version segment, as `newStateVersion` makes them. */
const VERSION = "[0-9a-z]{9}-[0-9a-f]{16}";

/** A pattern matching `keyReference` followed by one version. */
function versionOf(keyReference: string): RegExp {
  return new RegExp(`^${keyReference.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/${VERSION}$`);
}

/** The object name of a new version of `key` in `scope` under `prefix`. */
function versionName(prefix: string, scope: TaskScope, key: string): string {
  return joinStoragePath(prefix, versionedStatePath(scope, key, newStateVersion()));
}

/** The object name inside the bucket that a reference names. */
function nameOf(ref: string): string {
  return ref.slice(`gs://${emulator.bucket}/`.length);
}

describe("references", () => {
  const scope = new TaskScope({
    dagId: "my_dag",
    runId: "manual__2024-01-01T00:00:00+00:00",
    taskId: "extract",
  });

  it("are gs://<bucket>/<prefix>/<statePath>/<version>, and name the object that holds the value", async () => {
    const backend = open({ prefix: "/refs/format/" });
    const ref = await backend.serializeTaskStateToRef({ value: "job-7", key: "job_id", tiId: "ti-1", scope });
    expect(ref).toMatch(
      versionOf(
        "gs://flowstate-test/refs/format/task/my_dag/manual__2024-01-01T00%3A00%3A00%2B00%3A00/extract/-1/job_id",
      ),
    );
    const stored = await readRaw(nameOf(ref));
    expect(stored.bytes.toString("utf8")).toBe("job-7");
    expect(stored.metadata["flowstate-encoding"]).toBe("identity");
    // The encoding marker rides in the Content-Type too: a read learns it from one media download.
    expect(stored.metadata.contentType).toBe("text/plain; charset=utf-8; flowstate-encoding=identity");
  });

  it("leave out an empty prefix, and cover assets by name and by uri", async () => {
    const backend = open({ prefix: "" });
    const byName = new AssetScope({ name: "orders" });
    const byUri = new AssetScope({ uri: "gs://warehouse/orders.parquet" });
    const args = (s: AssetScope) => ({ value: "w", key: "watermark", assetRef: s.assetRef, scope: s });
    expect(await backend.serializeAssetStateToRef(args(byName))).toMatch(
      versionOf("gs://flowstate-test/asset/name/orders/watermark"),
    );
    expect(await backend.serializeAssetStateToRef(args(byUri))).toMatch(
      versionOf("gs://flowstate-test/asset/uri/gs%3A%2F%2Fwarehouse%2Forders%2Eparquet/watermark"),
    );
    await backend.clear(byName);
    await backend.clear(byUri);
    expect(await listNames("asset/name/orders/")).toEqual([]);
  });

  it("keep a key with path characters inside its scope's folder", async () => {
    const prefix = uniquePrefix("escape");
    const backend = open({ prefix });
    const escaping = uniqueTaskScope("escape");
    const ref = await backend.serializeTaskStateToRef({
      value: "v",
      key: "../../../../x",
      tiId: "t",
      scope: escaping,
    });
    expect(ref.startsWith(`gs://flowstate-test/${prefix}/task/`)).toBe(true);
    expect(await listNames(`${prefix}/`)).toEqual([nameOf(ref)]);
    expect(nameOf(ref)).toMatch(new RegExp(`/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fx/${VERSION}$`));
  });
});

describe("client", () => {
  it("needs no project id for object reads, writes and clears", async () => {
    const backend = open({ prefix: uniquePrefix("no-project"), projectId: undefined });
    expect(backend.options.projectId).toBeUndefined();
    const scope = uniqueTaskScope("no-project");
    await backend.set(scope, "k", "v");
    expect(await backend.get(scope, "k")).toBe("v");
    await backend.clear(scope);
    expect(await backend.get(scope, "k")).toBeUndefined();
  });
});

// The conformance suite checks versions, deleteStateRefs and listStateRefs through the backend;
// these look at what the bucket holds.
describe("versions in the bucket", () => {
  it("each serialize is an object of its own; deleteStateRefs removes exactly the one named", async () => {
    const prefix = uniquePrefix("versions");
    const backend = open({ prefix });
    const scope = uniqueTaskScope("versions");
    const refs = [
      await backend.serializeTaskStateToRef({ value: "one", key: "k", tiId: "t", scope }),
      await backend.serializeTaskStateToRef({ value: "two", key: "k", tiId: "t", scope }),
    ];
    expect(await listNames(`${prefix}/`)).toEqual(refs.map(nameOf));
    await backend.deleteStateRefs([{ ref: refs[0] ?? "" }, { ref: nameOf(refs[1] ?? "") }]); // a bare name is ignored
    expect(await listNames(`${prefix}/`)).toEqual([nameOf(refs[1] ?? "")]);
  });

  it("listStateRefs reports each object's timeCreated as writtenAt", async () => {
    const backend = open({ prefix: uniquePrefix("listing") });
    const scope = uniqueTaskScope("listing");
    const ref = await backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "t", scope });
    const [metadata] = await raw.file(nameOf(ref)).getMetadata();
    const listed: ListedStateRef[] = [];
    for await (const page of backend.listStateRefs({ scope })) listed.push(...page);
    expect(listed).toEqual([{ ref, writtenAt: new Date(String(metadata.timeCreated)) }]);
  });

  // The emulator does not keep customTime: what the client sent is read at a recording proxy.
  for (const path of ["simple upload", "resumable upload"] as const) {
    it(`sends expiresAt as the object's customTime, and keeps it in its metadata (${path})`, async () => {
      const bodies: string[] = [];
      const proxy = await startRecordingProxy(emulator.apiEndpoint, bodies);
      try {
        const backend = open({
          prefix: uniquePrefix("expiry"),
          apiEndpoint: proxy.endpoint,
          resumableThreshold: path === "simple upload" ? 8 * MIB : 1,
        });
        const scope = uniqueTaskScope("expiry");
        const write = (expiresAt: Date | null) =>
          backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "t", scope, expiresAt });
        const ref = await write(new Date("2031-02-03T04:05:06.789Z"));
        expect(bodies.join("\n")).toContain('"customTime":"2031-02-03T04:05:06.789Z"');
        const [metadata] = await raw.file(nameOf(ref)).getMetadata();
        expect(metadata.metadata?.["flowstate-expires-at"]).toBe("2031-02-03T04:05:06.789Z");

        bodies.length = 0;
        const [plain] = await raw.file(nameOf(await write(null))).getMetadata();
        expect(bodies.join("\n")).not.toContain("customTime");
        expect(plain.metadata).not.toHaveProperty("flowstate-expires-at");
      } finally {
        await proxy.close();
      }
    });
  }
});

describe("prefix", () => {
  it("isolates two backends on one bucket: values, references and clear", async () => {
    const a = open({ prefix: uniquePrefix("tenant-a") });
    const b = open({ prefix: uniquePrefix("tenant-b") });
    const scope = uniqueTaskScope("prefix");
    const refA = await a.serializeTaskStateToRef({ value: "from-a", key: "k", tiId: "t", scope });
    const refB = await b.serializeTaskStateToRef({ value: "from-b", key: "k", tiId: "t", scope });
    expect(refA).not.toBe(refB);
    expect(await a.get(scope, "k")).toBe("from-a");
    expect(await b.get(scope, "k")).toBe("from-b");
    await expect(b.deserializeTaskStateFromRef(refA, { key: "k", scope })).rejects.toThrow(
      StateReferenceError,
    );
    await a.clear(scope, { allMapIndices: true });
    expect(await a.get(scope, "k")).toBeUndefined();
    expect(await b.deserializeTaskStateFromRef(refB, { key: "k", scope })).toBe("from-b");
  });

  it("a prefix that is a string prefix of another does not reach into it", async () => {
    const base = uniquePrefix("sibling");
    const short = open({ prefix: base });
    const long = open({ prefix: `${base}-2` });
    const scope = uniqueTaskScope("sibling");
    await short.set(scope, "k", "short");
    await long.set(scope, "k", "long");
    await short.clear(scope, { allMapIndices: true });
    expect(await long.get(scope, "k")).toBe("long");
  });
});

describe("compression", () => {
  for (const [compression, encoding, decompress, contentType] of [
    ["gzip", "gzip", gunzipSync, "application/gzip; flowstate-encoding=gzip"],
    ["brotli", "br", brotliDecompressSync, "application/octet-stream; flowstate-encoding=br"],
  ] as const) {
    for (const path of ["simple upload", "resumable upload"] as const) {
      it(`${compression} (${path}) round-trips, and the stored object really is compressed and marked`, async () => {
        // A threshold of 1 byte sends even this value through the streaming encoder.
        const threshold = path === "resumable upload" ? 1 : 8 * MIB;
        const backend = open({
          prefix: uniquePrefix(compression),
          compression,
          resumableThreshold: threshold,
        });
        const scope = uniqueTaskScope(compression);
        const value = sampleText(300_000);
        const ref = await backend.serializeTaskStateToRef({ value, key: "big", tiId: "t", scope });
        const stored = await readRaw(nameOf(ref));
        expect(stored.metadata["flowstate-encoding"]).toBe(encoding);
        expect(stored.metadata.contentType).toBe(contentType);
        expect(stored.bytes.length).toBeLessThan(Buffer.byteLength(value) / 20);
        expect(decompress(stored.bytes).equals(Buffer.from(value, "utf8"))).toBe(true);
        expect(await backend.deserializeTaskStateFromRef(ref, { key: "big", scope })).toBe(value);
        // Reads go by the object's marker, not by configuration.
        const plain = open({ prefix: backend.options.prefix, compression: "none" });
        expect(await plain.get(scope, "big")).toBe(value);
      });
    }
  }

  it("an uncompressed value is stored as plain UTF-8", async () => {
    const backend = open({ prefix: uniquePrefix("plain") });
    const scope = uniqueTaskScope("plain");
    const value = sampleText(10_000);
    const ref = await backend.serializeTaskStateToRef({ value, key: "k", tiId: "t", scope });
    expect((await readRaw(nameOf(ref))).bytes.equals(Buffer.from(value, "utf8"))).toBe(true);
  });

  it("an object without the marker (written by another tool) is read as UTF-8", async () => {
    const backend = open({ prefix: uniquePrefix("foreign") });
    const scope = uniqueTaskScope("foreign");
    await raw.file(versionName(backend.options.prefix, scope, "k")).save("plain ✓", {
      resumable: false,
    });
    expect(await backend.get(scope, "k")).toBe("plain ✓");
  });

  it("an object with an encoding this version does not know is refused with a clear error", async () => {
    const backend = open({ prefix: uniquePrefix("unknown-encoding") });
    const scope = uniqueTaskScope("unknown-encoding");
    const name = versionName(backend.options.prefix, scope, "k");
    await raw.file(name).save("zstd-bytes", {
      resumable: false,
      metadata: { metadata: { "flowstate-encoding": "zstd" } },
    });
    const error = await backend.get(scope, "k").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateBackendError);
    expect((error as Error).message).toBe(
      `[flowstate] [gcs] get failed for gs://flowstate-test/${name}: the object is stored with encoding 'zstd', which this version of @flowstate/backend-gcs cannot read: upgrade it on this worker.`,
    );
  });
});

describe("resumable upload", () => {
  it("a value above the threshold is streamed and reads back byte-exactly", async () => {
    const backend = open({ prefix: uniquePrefix("resumable"), resumableThreshold: 5 * MIB });
    const scope = uniqueTaskScope("resumable");
    const value = `${"é漢😀x".repeat(1_100_000)}end`; // 11 MB of 1- to 4-byte characters
    const ref = await backend.serializeTaskStateToRef({ value, key: "blob", tiId: "t", scope });
    const stored = await readRaw(nameOf(ref));
    expect(stored.bytes.length).toBe(Buffer.byteLength(value, "utf8"));
    expect(stored.bytes.equals(Buffer.from(value, "utf8"))).toBe(true);
    expect(stored.metadata["flowstate-encoding"]).toBe("identity");
    expect(await backend.get(scope, "blob")).toBe(value);
  });

  it("a value of exactly the threshold goes the resumable way, one byte less the simple way", async () => {
    const proxy = await startRecordingProxy(emulator.apiEndpoint);
    try {
      const backend = open({
        prefix: uniquePrefix("threshold"),
        resumableThreshold: 1000,
        apiEndpoint: proxy.endpoint,
      });
      const scope = uniqueTaskScope("threshold");
      const uploadTypes: string[] = [];
      // 999 bytes, 1000 bytes, and 1000 bytes in 999 characters (the threshold counts UTF-8 bytes).
      for (const value of ["a".repeat(999), "a".repeat(1000), `${"a".repeat(998)}é`]) {
        proxy.requests.length = 0;
        await backend.set(scope, "k", value);
        uploadTypes.push(proxy.requests.map((r) => /uploadType=(\w+)/.exec(r)?.[1]).find(Boolean) ?? "none");
        expect(await backend.get(scope, "k")).toBe(value);
      }
      expect(uploadTypes).toEqual(["multipart", "resumable", "resumable"]);
    } finally {
      await proxy.close();
    }
  });
});

describe("clear", () => {
  it("deletes more than one page of objects (1000 per page) and nothing outside the scope", async () => {
    const prefix = uniquePrefix("clear");
    const backend = open({ prefix });
    const mapped = uniqueTaskScope("clear", 0);
    const sibling = new TaskScope({ ...mapped, mapIndex: 1 });
    const otherTask = new TaskScope({ ...mapped, taskId: "other_task", mapIndex: -1 });
    const keys = Array.from({ length: 1100 }, (_, i) => `k${i}`);
    await writeAll(backend, mapped, keys);
    await writeAll(backend, sibling, ["s1", "s2"]);
    await writeAll(backend, otherTask, ["o1"]);
    const scopeFolder = `${prefix}/task/${mapped.dagId}/`;
    expect(await listNames(scopeFolder)).toHaveLength(1103);
    // The listing of this scope really spans more than one page of the default size.
    const [, nextPage] = await raw.getFiles({
      prefix: joinStoragePath(prefix, "task/"),
      autoPaginate: false,
    });
    expect(nextPage).toBeTruthy();

    await backend.clear(mapped);
    expect(await listNames(scopeFolder)).toHaveLength(3);
    expect(await backend.get(sibling, "s1")).toBe("s1");

    await backend.clear(mapped, { allMapIndices: true });
    const [left, ...more] = await listNames(scopeFolder);
    expect(more).toEqual([]);
    expect(left).toMatch(versionOf(joinStoragePath(prefix, statePath(otherTask, "o1"))));
  });
});

async function writeAll(backend: GcsStateBackend, scope: TaskScope, keys: string[]): Promise<void> {
  const lanes = 16;
  const queue = [...keys];
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let key = queue.shift(); key !== undefined; key = queue.shift())
        await backend.set(scope, key, key);
    }),
  );
}
