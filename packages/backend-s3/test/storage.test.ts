import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, paginateListObjectsV2 } from "@aws-sdk/client-s3";
import {
  AssetScope,
  joinStoragePath,
  type ListedStateRef,
  StateObjectMissingError,
  StateReferenceError,
  statePath,
  TaskScope,
} from "@flowstate/shared-state";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { S3StateBackend } from "../src/index.js";
import { backendOn, MIB, rawClient, uniquePrefix, uniqueTaskScope } from "./helpers.js";

const server = inject("s3rver");
const raw = rawClient(server);
const opened: S3StateBackend[] = [];
afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
  raw.destroy();
});

function open(extra: Parameters<typeof backendOn>[1] = {}): S3StateBackend {
  const backend = backendOn(server, extra);
  opened.push(backend);
  return backend;
}

async function readRaw(key: string): Promise<{ bytes: Buffer; metadata: Record<string, string> }> {
  const response = await raw.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }));
  const bytes = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
  return { bytes, metadata: response.Metadata ?? {} };
}

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2(
    { client: raw },
    { Bucket: server.bucket, Prefix: prefix },
  )) {
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
  }
  return keys;
}

/** A version segment, as `newStateVersion` makes them. */
const VERSION = "[0-9a-z]{9}-[0-9a-f]{16}";

/** A pattern matching `keyReference` followed by one version. */
function versionOf(keyReference: string): RegExp {
  return new RegExp(`^${keyReference.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/${VERSION}$`);
}

/** The object key inside the bucket that a reference names. */
function keyOf(ref: string): string {
  return ref.slice(`s3://${server.bucket}/`.length);
}

/** Compressible text with multi-byte characters, so compression and UTF-8 both matter. */
function sampleText(approxBytes: number): string {
  const line = "checkpoint offset=1024 état=prêt 漢字 😀 — ";
  return line.repeat(Math.ceil(approxBytes / Buffer.byteLength(line)));
}

describe("references", () => {
  const scope = new TaskScope({
    dagId: "my_dag",
    runId: "manual__2024-01-01T00:00:00+00:00",
    taskId: "extract",
  });

  it("are s3://<bucket>/<prefix>/<statePath>/<version>, and name the object that holds the value", async () => {
    const backend = open({ prefix: "/refs/format/" });
    const ref = await backend.serializeTaskStateToRef({ value: "job-7", key: "job_id", tiId: "ti-1", scope });
    expect(ref).toMatch(
      versionOf(
        "s3://flowstate-test/refs/format/task/my_dag/manual__2024-01-01T00%3A00%3A00%2B00%3A00/extract/-1/job_id",
      ),
    );
    const stored = await readRaw(keyOf(ref));
    expect(stored.bytes.toString("utf8")).toBe("job-7");
    expect(stored.metadata["flowstate-encoding"]).toBe("identity");
  });

  it("leave out an empty prefix, and cover assets by name and by uri", async () => {
    const backend = open({ prefix: "" });
    const byName = new AssetScope({ name: "orders" });
    const byUri = new AssetScope({ uri: "s3://warehouse/orders.parquet" });
    const args = (scope: AssetScope) => ({ value: "w", key: "watermark", assetRef: scope.assetRef, scope });
    expect(await backend.serializeAssetStateToRef(args(byName))).toMatch(
      versionOf("s3://flowstate-test/asset/name/orders/watermark"),
    );
    expect(await backend.serializeAssetStateToRef(args(byUri))).toMatch(
      versionOf("s3://flowstate-test/asset/uri/s3%3A%2F%2Fwarehouse%2Forders%2Eparquet/watermark"),
    );
    await backend.clear(byName);
    await backend.clear(byUri);
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
    expect(ref.startsWith(`s3://flowstate-test/${prefix}/task/`)).toBe(true);
    expect(await listKeys(`${prefix}/`)).toEqual([keyOf(ref)]);
    expect(keyOf(ref)).toMatch(new RegExp(`/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fx/${VERSION}$`));
  });
});

// The conformance suite checks versions, deleteStateRefs and listStateRefs through the backend;
// these look at what S3 holds.
describe("versions in the bucket", () => {
  it("each serialize is an object of its own; deleteStateRefs removes exactly the one named", async () => {
    const prefix = uniquePrefix("versions");
    const backend = open({ prefix });
    const scope = uniqueTaskScope("versions");
    const first = await backend.serializeTaskStateToRef({ value: "one", key: "k", tiId: "t", scope });
    const second = await backend.serializeTaskStateToRef({ value: "two", key: "k", tiId: "t", scope });
    expect(await listKeys(`${prefix}/`)).toEqual([keyOf(first), keyOf(second)]);
    // The second entry is not a reference (a bare key): ignored.
    await backend.deleteStateRefs([{ ref: first, scope, key: "k" }, { ref: keyOf(second) }]);
    expect(await listKeys(`${prefix}/`)).toEqual([keyOf(second)]);
    await expect(backend.deserializeTaskStateFromRef(first, { key: "k", scope })).rejects.toBeInstanceOf(
      StateObjectMissingError,
    );
  });

  it("listStateRefs reports each object's LastModified as writtenAt", async () => {
    const prefix = uniquePrefix("listing");
    const backend = open({ prefix });
    const ref = await backend.serializeTaskStateToRef({
      value: "v",
      key: "k",
      tiId: "t",
      scope: uniqueTaskScope("listing"),
    });
    const listed: ListedStateRef[] = [];
    for await (const page of backend.listStateRefs()) listed.push(...page);
    const [object] =
      (await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: `${prefix}/` }))).Contents ??
      [];
    expect(listed).toEqual([{ ref, writtenAt: object?.LastModified }]);
  });

  it("records expiresAt in the object's metadata, for a lifecycle rule or a script", async () => {
    const backend = open({ prefix: uniquePrefix("expiry") });
    const scope = uniqueTaskScope("expiry");
    const write = (expiresAt: Date | null) =>
      backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "t", scope, expiresAt });
    const ref = await write(new Date("2031-02-03T04:05:06.789Z"));
    expect((await readRaw(keyOf(ref))).metadata["flowstate-expires-at"]).toBe("2031-02-03T04:05:06.789Z");
    expect((await readRaw(keyOf(await write(null)))).metadata).not.toHaveProperty("flowstate-expires-at");
  });
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
});

describe("compression", () => {
  for (const [compression, encoding, decompress] of [
    ["gzip", "gzip", gunzipSync],
    ["brotli", "br", brotliDecompressSync],
  ] as const) {
    for (const path of ["one PutObject", "streamed upload"] as const) {
      it(`${compression} (${path}) round-trips, and the stored object really is compressed and marked`, async () => {
        // A threshold of 1 byte sends even this value through the streaming encoder.
        const threshold = path === "streamed upload" ? 1 : 8 * MIB;
        const backend = open({
          prefix: uniquePrefix(compression),
          compression,
          multipartThreshold: threshold,
        });
        const scope = uniqueTaskScope(compression);
        const value = sampleText(300_000);
        const ref = await backend.serializeTaskStateToRef({ value, key: "big", tiId: "t", scope });
        const stored = await readRaw(keyOf(ref));
        expect(stored.metadata["flowstate-encoding"]).toBe(encoding);
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
    expect((await readRaw(keyOf(ref))).bytes.equals(Buffer.from(value, "utf8"))).toBe(true);
  });
});

const servers = [
  ["s3rver", server],
  ["moto", inject("moto")],
] as const;
for (const [name, target] of servers) {
  describe.skipIf(!target)(
    `multipart upload (${name}${target ? "" : ": skipped, moto_server not found"})`,
    () => {
      it("a value above the threshold is uploaded in parts and reads back byte-exactly", async () => {
        if (!target) return;
        // Without checksums "when_required", s3rver would store the aws-chunked framing of this
        // streamed upload inside the object: the raw bytes are compared to catch exactly that.
        const backend = backendOn(target, {
          prefix: uniquePrefix("multipart"),
          multipartThreshold: 5 * MIB,
          partSize: 5 * MIB,
          queueSize: 2,
        });
        opened.push(backend);
        const client = rawClient(target);
        try {
          const scope = uniqueTaskScope("multipart");
          const value = `${"é漢😀x".repeat(1_100_000)}end`; // 11 MB of 1- to 4-byte characters: 3 parts of 5 MiB
          const ref = await backend.serializeTaskStateToRef({ value, key: "blob", tiId: "t", scope });
          const response = await client.send(
            new GetObjectCommand({ Bucket: target.bucket, Key: keyOf(ref) }),
          );
          const bytes = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
          // S3 and moto give a multipart object the ETag "<md5 of part md5s>-<parts>"; s3rver does not.
          if (name === "moto") expect(response.ETag).toMatch(/-3"$/);
          expect(bytes.length).toBe(Buffer.byteLength(value, "utf8"));
          expect(bytes.equals(Buffer.from(value, "utf8"))).toBe(true);
          expect(await backend.get(scope, "blob")).toBe(value);
        } finally {
          client.destroy();
        }
      });
    },
  );
}

describe("clear", () => {
  it("deletes more than 1000 objects (paged listing, batched deletes) and nothing outside the scope", async () => {
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
    expect(await listKeys(scopeFolder)).toHaveLength(1103);

    await backend.clear(mapped);
    expect(await listKeys(scopeFolder)).toHaveLength(3);
    expect(await backend.get(sibling, "s1")).toBe("s1");

    await backend.clear(mapped, { allMapIndices: true });
    const [left, ...more] = await listKeys(scopeFolder);
    expect(more).toEqual([]);
    expect(left).toMatch(versionOf(joinStoragePath(prefix, statePath(otherTask, "o1"))));
    const first = await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: scopeFolder }));
    expect(first.KeyCount).toBe(1);
  });
});

async function writeAll(backend: S3StateBackend, scope: TaskScope, keys: string[]): Promise<void> {
  const lanes = 16;
  const queue = [...keys];
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let key = queue.shift(); key !== undefined; key = queue.shift())
        await backend.set(scope, key, key);
    }),
  );
}
