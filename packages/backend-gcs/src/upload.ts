import type { Agent, ClientRequest, IncomingMessage } from "node:http";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { timeoutError, type ValueParts } from "@flowstate/object-storage-backend";
import { CRC32C } from "@google-cloud/storage";
import { answerError } from "./errors.js";

/** Bytes per write of the upload's body: large enough that a write costs little, small enough to reuse. */
const WRITE_BYTES = 1024 * 1024;
/** Write buffers per upload: one being encoded while the others are on their way to the socket. */
const BUFFERS = 4;

/** What {@link putParts} needs besides the session and the bytes. */
export interface PutOptions {
  /** The agent of the upload's requests, whose `close()` gives the upload up. */
  agent: Agent;
  /** Fail when no byte moves for this long, or no answer comes this long after the last byte. */
  idleMs: number;
  /** Called when the upload is given up (no progress): drops the agent's connections. */
  abort: () => void;
}

/**
 * Sends the whole of `parts` to the resumable upload session `sessionUri` in one PUT of unknown
 * length (`Content-Range: bytes 0-* / *`, chunked), the way Google's client sends a streamed upload
 * and the only way the firebase emulator stores whole (it finalises an upload at its first PUT).
 * The body is encoded into {@link BUFFERS} reused buffers of {@link WRITE_BYTES}: a buffer is
 * filled again only once the socket is done with it (its write's callback), so memory stays at a
 * few MiB whatever the size of the value, and nothing is left for the garbage collector.
 *
 * The CRC32C of the bytes sent is checked against the one GCS answers with for the stored object,
 * as Google's client does: a mismatch rejects (the caller deletes the object).
 *
 * The session URI is its own credential: the PUT carries no other, and it never appears in an error.
 * The PUT is not repeated when it fails: its bytes are gone from the reused buffers (Google's
 * client, too, can resume a streamed upload only from the last chunk it holds). The write fails
 * and the previous value stays; the session expires unused.
 */
export function putParts(
  sessionUri: string,
  parts: ValueParts,
  { agent, idleMs, abort }: PutOptions,
): Promise<void> {
  const crc32c = new CRC32C();
  return new Promise((resolve, reject) => {
    const send = sessionUri.startsWith("https:") ? httpsRequest : httpRequest;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) resolve();
      else {
        parts.cancel();
        request.destroy();
        reject(error);
      }
    };
    const progress = (): void => {
      clearTimeout(timer);
      if (settled) return;
      timer = setTimeout(() => {
        abort();
        finish(timeoutError("the upload made no progress", idleMs));
      }, idleMs);
    };
    // No Content-Type: the session has it; and the emulator would buffer a typed body whole.
    const request: ClientRequest = send(sessionUri, {
      method: "PUT",
      agent,
      headers: { "content-range": "bytes 0-*/*" },
    });
    request.on("error", finish);
    request.on("response", (response) => {
      progress();
      readAnswer(response, crc32c).then((error) => finish(error ?? undefined), finish);
    });
    progress();
    pump(request, parts, crc32c, progress, () => settled).catch(finish);
  });
}

/** Encodes `parts` into the reused buffers and writes them, then ends the request. */
async function pump(
  request: ClientRequest,
  parts: ValueParts,
  crc32c: CRC32C,
  progress: () => void,
  stopped: () => boolean,
): Promise<void> {
  const free: Buffer[] = [];
  let allocated = 0;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  // A failed request calls back no more writes: its close wakes the wait, and `stopped()` ends it.
  request.once("close", notify);
  const release = (buffer: Buffer): void => {
    free.push(buffer);
    progress();
    notify();
  };
  const take = async (): Promise<Buffer | undefined> => {
    while (!stopped()) {
      const buffer = free.pop();
      if (buffer !== undefined) return buffer;
      if (allocated < BUFFERS) {
        allocated += 1;
        return Buffer.allocUnsafeSlow(WRITE_BYTES);
      }
      // Every buffer is on its way to the socket.
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    return undefined;
  };
  while (!parts.done) {
    const buffer = await take();
    if (buffer === undefined) return;
    const length = await parts.fill(buffer);
    if (stopped()) return;
    if (length === 0) free.push(buffer);
    else {
      const bytes = buffer.subarray(0, length);
      crc32c.update(bytes);
      request.write(bytes, () => release(buffer));
    }
  }
  request.end();
}

/**
 * `undefined` for a stored object (200, 201) whose CRC32C is that of the bytes sent (or not told),
 * else the error GCS answered with, or an {@link UploadMismatchError}.
 */
async function readAnswer(response: IncomingMessage, crc32c: CRC32C): Promise<Error | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const status = response.statusCode ?? 0;
  const body = Buffer.concat(chunks).toString("utf8");
  if (status !== 200 && status !== 201) return uploadAnswerError(status, body);
  let stored: unknown;
  try {
    stored = (JSON.parse(body) as { crc32c?: unknown }).crc32c;
  } catch {
    stored = undefined; // no object description: nothing to compare
  }
  if (typeof stored !== "string" || stored === crc32c.toString()) return undefined;
  return new UploadMismatchError();
}

/** GCS stored other bytes than were sent (CRC32C): the object must not be used. */
export class UploadMismatchError extends Error {
  override readonly name = "UploadMismatchError";
  constructor() {
    super("the uploaded data did not match what GCS stored (CRC32C)");
  }
}

/** GCS's answer as an error (see `errors.ts`). A 308 means GCS did not take the upload as whole. */
function uploadAnswerError(status: number, body: string): Error {
  const error = answerError(status, body, "UploadError");
  if (status === 308) error.message = "the upload session did not take the upload as complete";
  return error;
}
