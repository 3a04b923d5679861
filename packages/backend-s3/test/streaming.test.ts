// Large values stream to S3 in bounded parts (reused part buffers) and back through a decoder:
// byte-exact with multi-byte characters and a surrogate pair across every part boundary, with and
// without gzip; objects written by the earlier code (one Buffer, or lib-storage from a stream)
// still read. No timings here: the bench measures speed and memory.
import { Readable } from "node:stream";
import { createGzip, gunzipSync } from "node:zlib";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { newStateVersion, statePath } from "@flowstate/shared-state";
import { charCutValue, partCutValue } from "@flowstate/test-support";
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

// The smallest part S3 takes, so that a 30 MB value crosses six part boundaries.
const PART = 5 * MIB;

function open(extra: Parameters<typeof backendOn>[1]): S3StateBackend {
  const backend = backendOn(server, { multipartThreshold: PART, partSize: PART, queueSize: 2, ...extra });
  opened.push(backend);
  return backend;
}

async function storedBytes(ref: string): Promise<{ bytes: Buffer; encoding: string | undefined }> {
  const key = ref.slice(`s3://${server.bucket}/`.length);
  const response = await raw.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }));
  const bytes = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
  return { bytes, encoding: response.Metadata?.["flowstate-encoding"] };
}

describe("a large value streams in parts", () => {
  it("plain UTF-8, a 4-byte character straddling every 5 MiB part boundary, round-trips byte-exactly", async () => {
    const backend = open({ prefix: uniquePrefix("stream-plain") });
    const scope = uniqueTaskScope("stream-plain");
    const value = partCutValue(PART, 6);
    const ref = await backend.serializeTaskStateToRef({ value, key: "big", tiId: "t", scope });
    const { bytes, encoding } = await storedBytes(ref);
    expect(encoding).toBe("identity");
    expect(bytes.equals(Buffer.from(value, "utf8"))).toBe(true);
    expect(await backend.deserializeTaskStateFromRef(ref, { key: "big", scope })).toBe(value);
    expect(await backend.get(scope, "big")).toBe(value);
  });

  it("gzip, a surrogate pair across every slice the compressor is fed, round-trips byte-exactly", async () => {
    const backend = open({ prefix: uniquePrefix("stream-gzip"), compression: "gzip" });
    const scope = uniqueTaskScope("stream-gzip");
    const value = charCutValue(12);
    const ref = await backend.serializeTaskStateToRef({ value, key: "big", tiId: "t", scope });
    const { bytes, encoding } = await storedBytes(ref);
    expect(encoding).toBe("gzip");
    expect(bytes.length).toBeGreaterThan(PART); // more than one part, even compressed
    expect(gunzipSync(bytes).equals(Buffer.from(value, "utf8"))).toBe(true);
    expect(await backend.deserializeTaskStateFromRef(ref, { key: "big", scope })).toBe(value);
  });
});

describe("objects written by the earlier code still read", () => {
  const scope = uniqueTaskScope("earlier");
  const backend = open({ prefix: uniquePrefix("earlier") });

  /** A reference to a new version of `key`, named as the backend names them. */
  function versionRef(key: string): { ref: string; objectKey: string } {
    const objectKey = `${backend.options.prefix}/${statePath(scope, key)}/${newStateVersion()}`;
    return { ref: `s3://${server.bucket}/${objectKey}`, objectKey };
  }

  it("one PutObject of the whole value, and lib-storage's Upload from a stream, plain and gzip", async () => {
    const value = partCutValue(PART, 3);
    const bytes = Buffer.from(value, "utf8");
    // The earlier small path: one Buffer.
    const put = versionRef("put");
    await raw.send(
      new PutObjectCommand({
        Bucket: server.bucket,
        Key: put.objectKey,
        Body: bytes,
        Metadata: { "flowstate-encoding": "identity" },
      }),
    );
    expect(await backend.deserializeTaskStateFromRef(put.ref, { key: "put", scope })).toBe(value);
    // The earlier streamed path: 1 MiB slices (plain, or through gzip) into lib-storage's Upload.
    for (const encoding of ["identity", "gzip"] as const) {
      const slices = Readable.from(
        Array.from({ length: Math.ceil(bytes.length / MIB) }, (_, i) =>
          bytes.subarray(i * MIB, (i + 1) * MIB),
        ),
      );
      const body = encoding === "gzip" ? slices.pipe(createGzip()) : slices;
      const streamed = versionRef(`upload-${encoding}`);
      await new Upload({
        client: raw,
        params: {
          Bucket: server.bucket,
          Key: streamed.objectKey,
          Body: body,
          Metadata: { "flowstate-encoding": encoding },
        },
        partSize: PART,
        queueSize: 2,
      }).done();
      expect(
        await backend.deserializeTaskStateFromRef(streamed.ref, { key: `upload-${encoding}`, scope }),
      ).toBe(value);
    }
  });
});
