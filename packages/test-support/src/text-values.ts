// Values for streaming tests: text whose multi-byte characters and surrogate pairs fall exactly
// where an encoder cuts parts, or where the codec cuts the slices it feeds its compressor.

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
export function partCutValue(partBytes: number, parts: number): string {
  const pieces = [fillerBytes(partBytes - 2), PAIR];
  for (let i = 1; i < parts; i += 1) pieces.push(fillerBytes(partBytes - 6), PAIR);
  pieces.push(fillerBytes(1000));
  return pieces.join("");
}

/**
 * About `slices` MiUnits of text with a surrogate pair across the end of every slice the codec
 * feeds its compressor (2^20 UTF-16 units, one less when a pair would be cut: pairs at k·(2^20 − 1)).
 */
export function charCutValue(slices: number): string {
  const units = 2 ** 20;
  const pieces = [fillerUnits(units - 1), PAIR];
  for (let i = 1; i < slices; i += 1) pieces.push(fillerUnits(units - 3), PAIR);
  pieces.push(fillerUnits(1000));
  return pieces.join("");
}
