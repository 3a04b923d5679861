// Decoding a large value without holding its bytes and its text at once. Gathering every chunk,
// concatenating and decoding once needs the bytes twice plus the text (3× the value); here
// chunks are copied into one reused piece buffer, each full piece is decoded on its own and
// appended to the text. V8 keeps `text + piece` as a rope (no copy), so the peak is the text
// itself plus one piece; the rope is flattened, once, by whatever first needs it flat.

import { isAscii } from "node:buffer";

/** Bytes decoded at a time: large enough that per-call costs vanish, small next to any big value. */
const PIECE_BYTES = 1024 * 1024;
/** Below this a value is gathered and decoded in one go (a few MB twice cost less than pieces). */
const GATHER_BYTES = 8 * PIECE_BYTES;

// Not streaming on purpose: Node's streaming TextDecoder goes through ICU and returns UTF-16
// strings (2 bytes per character even for ASCII), while a one-shot decode takes the simdutf fast
// path and keeps Latin-1 text one byte per character. fatal: bytes that are not UTF-8 fail the
// read (ERR_ENCODING_INVALID_ENCODED_DATA) instead of turning silently into U+FFFD. ignoreBOM:
// a leading BOM is part of the value.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });

/** The text of whole UTF-8 characters; ASCII (the common case, and valid UTF-8) by a plain copy. */
function decode(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString("latin1") : decoder.decode(bytes);
}

/** Strict UTF-8 text from chunks of bytes, with characters cut anywhere between chunks. */
export class Utf8Text {
  #text = "";
  /** Chunks kept as they came until they add up to {@link GATHER_BYTES}: a small value is decoded in one go. */
  #chunks: Buffer[] = [];
  /** The reused piece buffer, once the value is known to be large. */
  #piece: Buffer | undefined;
  /** Bytes in {@link #chunks}, or in {@link #piece}. */
  #length = 0;

  /** Takes the next bytes. `chunk` is kept until decoded: the caller must not reuse it. */
  write(chunk: Buffer): void {
    if (this.#piece !== undefined) {
      this.#copy(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    if (this.#length < GATHER_BYTES) return;
    // A large value: from here on through one reused piece buffer.
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#length = 0;
    this.#piece = Buffer.allocUnsafeSlow(PIECE_BYTES);
    for (const kept of chunks) this.#copy(kept);
  }

  /**
   * The text of every byte written.
   * @throws TypeError (code `ERR_ENCODING_INVALID_ENCODED_DATA`) when the bytes are not UTF-8,
   * a character cut at the end included.
   */
  end(): string {
    const rest =
      this.#piece?.subarray(0, this.#length) ??
      (this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#length));
    const text = this.#text + decode(rest);
    this.#text = "";
    this.#chunks = [];
    this.#piece = undefined;
    this.#length = 0;
    return text;
  }

  #copy(chunk: Buffer): void {
    const piece = this.#piece as Buffer;
    for (let offset = 0; offset < chunk.length; ) {
      const copied = chunk.copy(piece, this.#length, offset);
      this.#length += copied;
      offset += copied;
      if (this.#length === piece.length) this.#flush();
    }
  }

  /** Decodes the full piece up to its last whole character, and keeps the cut character's bytes. */
  #flush(): void {
    const piece = this.#piece as Buffer;
    const whole = wholeCharacters(piece, this.#length);
    this.#text += decode(piece.subarray(0, whole));
    piece.copy(piece, 0, whole, this.#length); // at most 3 bytes of a cut character
    this.#length -= whole;
  }
}

/**
 * How many of the first `length` bytes end on a character boundary: all of them unless the last
 * 1-3 bytes start a multi-byte character whose remaining bytes have not arrived yet. Bytes that
 * are not UTF-8 are left for the decoder to refuse.
 */
export function wholeCharacters(bytes: Uint8Array, length: number): number {
  // Look back over at most 3 continuation bytes (10xxxxxx) for the lead byte of the last character.
  for (let lead = length - 1; lead >= Math.max(0, length - 4); lead -= 1) {
    const byte = bytes[lead] as number;
    if ((byte & 0xc0) === 0x80) continue;
    const size = byte < 0x80 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return lead + size > length ? lead : length;
  }
  return length;
}
