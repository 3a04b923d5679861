import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { timeoutError } from "@flowstate/object-storage-backend";

// Google's client bounds each request up to its answer, but not the bytes after it (a read's
// body). The backend watches them itself: no progress for `requestTimeoutMs` fails the read with a
// TimeoutError. (A streamed upload's PUT is watched the same way in upload.ts.)

/**
 * Destroys `bytes` (the client's stream of a download) with a TimeoutError when `response` (the
 * HTTP answer it is fed from) brings no data for `ms`. The watch listens to the response beside
 * the client's own pipe instead of adding a stream in between: a small read then costs no extra
 * stream hop (a pass-through and its pipeline cost about a sixth of a 1 KiB read). It ends when
 * the response ends or either stream closes: a reader that is slow to take the buffered bytes is
 * not an idle endpoint.
 */
export function failWhenIdle(bytes: Readable, response: IncomingMessage, ms: number): Readable {
  const timer = setTimeout(() => bytes.destroy(timeoutError("no data from the endpoint", ms)), ms);
  const progress = (): void => {
    timer.refresh();
  };
  const stop = (): void => {
    clearTimeout(timer);
    response.off("data", progress);
  };
  response.on("data", progress);
  response.once("end", stop);
  response.once("close", stop);
  bytes.once("close", stop);
  return bytes;
}
