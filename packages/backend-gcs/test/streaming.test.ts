// Large values stream to GCS (a resumable upload, one PUT written from a few reused buffers) and back
// through a decoder: byte-exact with multi-byte characters and a surrogate pair across every chunk
// boundary, with and without gzip; objects written by the earlier code (one Buffer, or a stream of
// 1 MiB slices) still read. No timings here: the bench measures speed and memory.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, gunzipSync } from "node:zlib";
import { newStateVersion, statePath } from "@flowstate/shared-state";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { GcsStateBackend } from "../src/index.js";
import { backendOn, MIB, rawStorage, uniquePrefix, uniqueTaskScope } from "./support/helpers.js";

const emulator = inject("gcsEmulator");
const bucket = rawStorage(emulator).bucket(emulator.bucket);
const opened: GcsStateBackend[] = [];
afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
});

// 1-, 2- and 3-byte characters, one UTF-16 unit each; the surrogate pair is placed by the builders.
const ALPHABET = [..."abcdefghijklmnopqrstuvwxyz ,.:", "é", "ß", "ж", "漢", "字", "€"];
const PAIR = "\u{1f600}"; // 4 bytes, 2 UTF-16 units
let seed = 7;
/** A block of pseudo-random text (a 32 KiB gzip window does not see it repeat: it compresses ~30%). */
const BLOCK = Array.from({ length: 50_000 }, () => {
  // xorshift32
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ALPHABET[(seed >>> 0) % ALPHABET.length] as string;
});

/** Text of exactly `bytes` UTF-8 bytes. */
function fillerBytes(bytes: number): string {
  const out: string[] = [];
  let left = bytes;
  for (let i = 0; left > 0; i = (i + 1) % BLOCK.length) {
    const char = BLOCK[i] as string;
    const size = Buffer.byteLength(char);
    out.push(size <= left ? char : "a");
    left -= size <= left ? size : 1;
  }
  return out.join("");
}

/** Text of exactly `units` UTF-16 units. */
function fillerUnits(units: number): string {
  const block = BLOCK.join("");
  return block.repeat(Math.ceil(units / block.length)).slice(0, units);
}

/**
 * About `parts × partBytes` bytes, where an encoder that fills `partBytes`-byte parts and never
 * cuts a character meets a 4-byte surrogate pair at every part boundary: each part ends 2 bytes
 * short, just before the pair, and the next starts with it.
 */
function partCutValue(partBytes: number, parts: number): string {
  const pieces = [fillerBytes(partBytes - 2), PAIR];
  for (let i = 1; i < parts; i += 1) pieces.push(fillerBytes(partBytes - 6), PAIR);
  pieces.push(fillerBytes(1000));
  return pieces.join("");
}

/**
 * About `slices` MiUnits of text with a surrogate pair across the end of every slice the codec
 * feeds its compressor (2^20 UTF-16 units, one less when a pair would be cut: pairs at k·(2^20 − 1)).
 */
function charCutValue(slices: number): string {
  const units = 2 ** 20;
  const pieces = [fillerUnits(units - 1), PAIR];
  for (let i = 1; i < slices; i += 1) pieces.push(fillerUnits(units - 3), PAIR);
  pieces.push(fillerUnits(1000));
  return pieces.join("");
}

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
