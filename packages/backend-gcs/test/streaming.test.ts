// Large values stream to GCS (a resumable upload, one PUT written from a few reused buffers) and back
// through a decoder: byte-exact with multi-byte characters and a surrogate pair across every chunk
// boundary, with and without gzip; objects written by the earlier code (one Buffer, or a stream of
// 1 MiB slices) still read. No timings here: the bench measures speed and memory.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, gunzipSync } from "node:zlib";
import { newStateVersion, statePath } from "@flowstate/shared-state";
import { charCutValue, partCutValue } from "@flowstate/test-support";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { GcsStateBackend } from "../src/index.js";
import { backendOn, MIB, rawStorage, uniquePrefix, uniqueTaskScope } from "./support/helpers.js";

const emulator = inject("gcsEmulator");
const bucket = rawStorage(emulator).bucket(emulator.bucket);
const opened: GcsStateBackend[] = [];
afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
});

// The buffers the backend writes a streamed upload from (upload.ts, WRITE_BYTES).
const CHUNK = 1024 * 1024;

function open(extra: Parameters<typeof backendOn>[1]): GcsStateBackend {
  const backend = backendOn(emulator, extra);
  opened.push(backend);
  return backend;
}

async function storedBytes(ref: string): Promise<{ bytes: Buffer; encoding: unknown }> {
  const file = bucket.file(ref.slice(`gs://${emulator.bucket}/`.length));
  const [[bytes], [metadata]] = await Promise.all([file.download(), file.getMetadata()]);
  return { bytes, encoding: metadata.metadata?.["flowstate-encoding"] };
}

describe("a large value streams as a resumable upload", () => {
  it("plain UTF-8, a 4-byte character straddling every chunk boundary, round-trips byte-exactly", async () => {
    const backend = open({ prefix: uniquePrefix("stream-plain") });
    const scope = uniqueTaskScope("stream-plain");
    const value = partCutValue(CHUNK, 25); // 25 MiB
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
    expect(bytes.length).toBeGreaterThan(8 * MIB); // many chunks, even compressed
    expect(gunzipSync(bytes).equals(Buffer.from(value, "utf8"))).toBe(true);
    expect(await backend.deserializeTaskStateFromRef(ref, { key: "big", scope })).toBe(value);
  });
});

describe("objects written by the earlier code still read", () => {
  const scope = uniqueTaskScope("earlier");
  const backend = open({ prefix: uniquePrefix("earlier") });

  /** A reference to a new version of `key`, named as the backend names them. */
  function versionRef(key: string): { ref: string; name: string } {
    const name = `${backend.options.prefix}/${statePath(scope, key)}/${newStateVersion()}`;
    return { ref: `gs://${emulator.bucket}/${name}`, name };
  }

  it("a simple upload of the whole value, and a resumable upload of 1 MiB slices, plain and gzip", async () => {
    const value = partCutValue(MIB, 20);
    const bytes = Buffer.from(value, "utf8");
    const simple = versionRef("simple");
    await bucket
      .file(simple.name)
      .save(bytes, { resumable: false, metadata: { metadata: { "flowstate-encoding": "identity" } } });
    expect(await backend.deserializeTaskStateFromRef(simple.ref, { key: "simple", scope })).toBe(value);
    for (const encoding of ["identity", "gzip"] as const) {
      const slices = Readable.from(
        Array.from({ length: Math.ceil(bytes.length / MIB) }, (_, i) =>
          bytes.subarray(i * MIB, (i + 1) * MIB),
        ),
      );
      const streamed = versionRef(`resumable-${encoding}`);
      const upload = bucket
        .file(streamed.name)
        .createWriteStream({ resumable: true, metadata: { metadata: { "flowstate-encoding": encoding } } });
      if (encoding === "gzip") await pipeline(slices, createGzip(), upload);
      else await pipeline(slices, upload);
      expect(
        await backend.deserializeTaskStateFromRef(streamed.ref, { key: `resumable-${encoding}`, scope }),
      ).toBe(value);
    }
  });
});
