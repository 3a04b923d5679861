import { Readable } from "node:stream";
import { encodeStream, type StoredEncoding } from "./codec.js";

/**
 * The stored bytes of a large value, produced a part at a time into buffers the writer owns, so
 * that a writer can upload from a few reused part buffers and never hold the whole value as bytes.
 * Nothing is encoded before the first {@link fill}.
 */
export interface ValueParts {
  /**
   * Writes the next bytes into `part` from its start and resolves how many: `part.length` or a
   * few bytes less (a character is never cut), fewer only at the end, 0 once everything was given.
   * Not to be called again before the previous call resolved.
   */
  fill(part: Buffer): Promise<number>;
  /** Whether every byte was given out (the last {@link fill} reached the end). */
  readonly done: boolean;
  /** Stops encoding early (the write failed): releases the compressor, if any. */
  cancel(): void;
}

/** The stored (compressed) UTF-8 bytes of `value`, a part at a time. */
export function valueParts(value: string, encoding: StoredEncoding): ValueParts {
  return encoding === "identity" ? new Utf8Parts(value) : new CompressedParts(value, encoding);
}

// Bytes per chunk of the stream form: small enough that a few in flight cost little memory.
const STREAM_CHUNK_BYTES = 256 * 1024;

/**
 * The same bytes as a stream of fresh chunks, for writers that hand chunks to a client which may
 * keep them (for a retry) after asking for the next one, so they cannot be reused.
 */
export function valueStream(parts: ValueParts): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const chunk = Buffer.allocUnsafeSlow(STREAM_CHUNK_BYTES);
        const length = await parts.fill(chunk);
        if (length > 0) yield length === chunk.length ? chunk : chunk.subarray(0, length);
        if (parts.done) return;
      }
    } finally {
      parts.cancel();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

const encoder = new TextEncoder();

/**
 * Plain UTF-8, encoded straight into the part buffer (`encodeInto`): no intermediate copy of any
 * slice of the value, so nothing is left for the garbage collector.
 */
class Utf8Parts implements ValueParts {
  readonly #value: string;
  #position = 0;

  constructor(value: string) {
    this.#value = value;
  }

  get done(): boolean {
    return this.#position >= this.#value.length;
  }

  fill(part: Buffer): Promise<number> {
    const value = this.#value;
    let written = 0;
    while (written < part.length && this.#position < value.length) {
      // A UTF-16 unit takes at least one byte: never slice more than the part can take.
      let end = Math.min(this.#position + (part.length - written), value.length);
      const last = value.charCodeAt(end - 1);
      // A high surrogate at the cut would be encoded alone as U+FFFD: keep the pair together.
      if (end < value.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
      if (end === this.#position) break; // one unit of room left, and it is half a pair
      const result = encoder.encodeInto(value.slice(this.#position, end), part.subarray(written));
      if (result.read === 0) break; // the next character does not fit: the part is full
      this.#position += result.read;
      written += result.written;
    }
    return Promise.resolve(written);
  }

  cancel(): void {}
}

/** gzip or brotli: the compressor's output copied into the part buffers. */
class CompressedParts implements ValueParts {
  readonly #value: string;
  readonly #encoding: StoredEncoding;
  #stream: Readable | undefined;
  #chunks: AsyncIterator<Buffer> | undefined;
  #pending: Buffer | undefined;
  #done = false;

  constructor(value: string, encoding: StoredEncoding) {
    this.#value = value;
    this.#encoding = encoding;
  }

  get done(): boolean {
    return this.#done;
  }

  async fill(part: Buffer): Promise<number> {
    if (this.#chunks === undefined) {
      this.#stream = encodeStream(this.#value, this.#encoding);
      this.#chunks = this.#stream[Symbol.asyncIterator]();
    }
    let written = 0;
    while (written < part.length && !this.#done) {
      if (this.#pending === undefined || this.#pending.length === 0) {
        const next = await this.#chunks.next();
        if (next.done) {
          this.#done = true;
          break;
        }
        this.#pending = next.value;
      }
      const copied = this.#pending.copy(part, written);
      written += copied;
      this.#pending = this.#pending.subarray(copied);
    }
    return written;
  }

  cancel(): void {
    this.#done = true;
    this.#pending = undefined;
    this.#stream?.destroy();
  }
}
