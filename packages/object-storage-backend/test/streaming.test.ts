// The pieces that stream a large value in bounded parts, at sizes small enough to put a cut at
// every byte: parts never split a character, and text decoded from chunks cut anywhere is exact.
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { valueParts, valueStream } from "../src/parts.js";
import { Utf8Text, wholeCharacters } from "../src/text.js";

// 1-, 2-, 3- and 4-byte characters (the last a surrogate pair), and a lone surrogate.
const MIXED = "a\u00e9\u6f22\u{1f600}b\u{10348}\u00ff\u0800\u{1f600}\u{1f600}z";

async function allParts(value: string, encoding: "identity" | "gzip", partBytes: number): Promise<Buffer[]> {
  const parts = valueParts(value, encoding);
  const out: Buffer[] = [];
  while (!parts.done) {
    const part = Buffer.alloc(partBytes);
    const length = await parts.fill(part);
    out.push(Buffer.from(part.subarray(0, length)));
  }
  return out;
}

describe("valueParts", () => {
  for (const partBytes of [4, 5, 6, 7, 8, 13]) {
    it(`cuts plain UTF-8 into parts of at most ${partBytes} bytes, never inside a character`, async () => {
      const value = MIXED.repeat(20);
      const parts = await allParts(value, "identity", partBytes);
      expect(Buffer.concat(parts).equals(Buffer.from(value, "utf8"))).toBe(true);
      for (const [index, part] of parts.entries()) {
        expect(part.length).toBeLessThanOrEqual(partBytes);
        // Short only by a character that did not fit (or at the end)…
        if (index < parts.length - 1) expect(part.length).toBeGreaterThan(partBytes - 4);
        expect(part.toString("utf8")).not.toContain("\ufffd"); // …which is never cut
      }
    });
  }

  it("ends a part a character early when a surrogate pair straddles the cut", async () => {
    // "abc" + 😀: a 5-byte part takes "abc" and leaves the 4-byte pair whole for the next part.
    const parts = await allParts("abc\u{1f600}", "identity", 5);
    expect(parts.map((part) => part.toString("utf8"))).toEqual(["abc", "\u{1f600}"]);
  });

  it("encodes a lone surrogate as U+FFFD, as Buffer.from does", async () => {
    const value = "x\ud800y";
    expect(Buffer.concat(await allParts(value, "identity", 4)).equals(Buffer.from(value))).toBe(true);
  });

  it("gives gzip data in parts that add up to the compressed value", async () => {
    const value = MIXED.repeat(5000);
    const parts = await allParts(value, "gzip", 1000);
    expect(gunzipSync(Buffer.concat(parts)).toString("utf8")).toBe(value);
    expect(parts.slice(0, -1).every((part) => part.length === 1000)).toBe(true);
  });

  it("streams the same bytes as fresh chunks", async () => {
    const value = MIXED.repeat(100_000); // above one 1 MiB chunk
    const chunks: Buffer[] = [];
    for await (const chunk of valueStream(valueParts(value, "identity"))) chunks.push(chunk as Buffer);
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).equals(Buffer.from(value))).toBe(true);
  });
});

describe("Utf8Text", () => {
  it("decodes text cut at every byte offset, in pieces and whole", () => {
    const bytes = Buffer.from(MIXED.repeat(3));
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      const text = new Utf8Text();
      text.write(bytes.subarray(0, cut));
      text.write(bytes.subarray(cut));
      expect(text.end()).toBe(MIXED.repeat(3));
    }
  });

  it("decodes a value larger than a piece, arriving a few bytes at a time", () => {
    const value = MIXED.repeat(60_000); // about 1.7 MB: more than one 1 MiB piece, cut mid-character
    const bytes = Buffer.from(value);
    const text = new Utf8Text();
    for (let offset = 0; offset < bytes.length; offset += 7919)
      text.write(bytes.subarray(offset, offset + 7919));
    expect(text.end()).toBe(value);
  });

  it("refuses bytes that are not UTF-8, and a character cut off at the end", () => {
    for (const bad of [Buffer.from([0x61, 0xff, 0x62]), Buffer.from("\u{1f600}").subarray(0, 3)]) {
      const text = new Utf8Text();
      text.write(bad);
      expect(() => text.end()).toThrow(
        expect.objectContaining({ code: "ERR_ENCODING_INVALID_ENCODED_DATA" }),
      );
    }
  });

  it("keeps a leading byte order mark", () => {
    const text = new Utf8Text();
    text.write(Buffer.from("\ufeffx"));
    expect(text.end()).toBe("\ufeffx");
  });

  it("wholeCharacters stops before a character whose bytes have not all arrived", () => {
    const pair = Buffer.from("a\u{1f600}");
    expect([1, 2, 3, 4, 5].map((length) => wholeCharacters(pair, length))).toEqual([1, 1, 1, 1, 5]);
  });
});
