/**
 * Test values, built cheaply but so that corruption at any offset is caught: every block carries
 * its own index, so a dropped, repeated or swapped block changes the string.
 */

const BLOCK_CHARS = 4096;
const PRINTABLE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A deterministic pseudo-random ASCII string (xorshift32), so failures reproduce. */
export function pseudoRandomAscii(length: number, seed: number): string {
  let state = seed >>> 0 || 0x9e3779b9;
  let out = "";
  for (let i = 0; i < length; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out += PRINTABLE[state & 63];
  }
  return out;
}

/**
 * An ASCII string of exactly `bytes` characters (so also `bytes` bytes of UTF-8): a random
 * block repeated, each copy stamped with its index and `tag`.
 */
export function largeAsciiValue(bytes: number, tag: string): string {
  const block = pseudoRandomAscii(BLOCK_CHARS, bytes ^ tag.length);
  const parts: string[] = [];
  let length = 0;
  for (let index = 0; length < bytes; index += 1) {
    const part = `[${tag}#${index}]${block}`;
    parts.push(part);
    length += part.length;
  }
  return parts.join("").slice(0, bytes);
}

/**
 * About `approxChars` UTF-16 units of mixed 1-, 2-, 3- and 4-byte UTF-8 characters, so that
 * chunk boundaries of a streamed upload fall inside characters.
 */
export function largeUnicodeValue(approxChars: number, tag: string): string {
  const block = `é漢字😀𝄞a\u0301ü€\u00a0${pseudoRandomAscii(97, approxChars)}`;
  const parts: string[] = [];
  let length = 0;
  for (let index = 0; length < approxChars; index += 1) {
    const part = `<${tag}#${index}>${block}`;
    parts.push(part);
    length += part.length;
  }
  return parts.join("");
}

/** Small values that storage layers like to mangle; each must round-trip byte for byte. */
export const TRICKY_VALUES: ReadonlyArray<readonly [label: string, value: string]> = [
  ["the empty string", ""],
  ["emoji (astral, surrogate pairs)", "😀👍🏽👨‍👩‍👧‍👦🏳️‍🌈"],
  ["CJK", "漢字かなカナ한국어"],
  ["combining marks (NFD, must not be normalised)", "e\u0301a\u0308o\u0302 Ame\u0301lie"],
  ["astral plane characters", "𝄞𝕏𠀀\u{10FFFD}"],
  ["NULs and newlines", "a\u0000b\nc\r\nd\u0000\u0000\te\u007f\u0001"],
  ["JSON with escapes", '{"a":"\\"quoted\\"","b":[1,2,3],"c":"\\u0000"}'],
  ["only whitespace", " \n\t "],
  ["a BOM and a BOM-like prefix", "\uFEFFhello\uFEFF"],
  ["a string that looks like a reference", "memory://default/task/x/y/z/-1/k"],
];
