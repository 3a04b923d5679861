import { pipeline as pipelineWithCallback, type Readable, Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { timeoutError } from "@flowstate/object-storage-backend";

// Google's client bounds each request up to its answer, but not the bytes after it (a read's
// body) nor a resumable upload's requests, which it sends without a timeout. The backend watches
// those streams itself: no progress for `requestTimeoutMs` fails them with a TimeoutError.

/**
 * `source` through a pass-through that is destroyed with a TimeoutError when no bytes arrive for
 * `ms` (for the body of a read). Destroying the result stops `source` too.
 */
export function failWhenIdle(source: Readable, ms: number): Readable {
  const timer = idleTimer(ms, () => watched.destroy(timeoutError("no data from the endpoint", ms)));
  const watched = passThrough(timer.restart, timer.stop);
  watched.once("close", timer.stop);
  pipelineWithCallback(source, watched, () => {}); // errors reach `watched`, where the reader sees them
  return watched;
}

/**
 * Pipes `source` into `sink` (an upload), failing with a TimeoutError when no bytes move for
 * `ms`, or when `sink` does not finish within `ms` of the last byte; then `abort()` is called too,
 * to drop the upload's connections.
 */
export async function pipeWithin(
  source: Readable,
  sink: Writable,
  ms: number,
  abort: () => void,
): Promise<void> {
  const timer = idleTimer(ms, () => {
    sink.destroy(timeoutError("the upload made no progress", ms));
    abort();
  });
  try {
    await pipeline(source, passThrough(timer.restart, timer.restart), sink);
  } finally {
    timer.stop();
  }
}

/** A timer that calls `onIdle` `ms` after it was last (re)started; started at once. */
function idleTimer(ms: number, onIdle: () => void): { restart: () => void; stop: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => clearTimeout(timer);
  const restart = (): void => {
    stop();
    timer = setTimeout(onIdle, ms);
  };
  restart();
  return { restart, stop };
}

/** A pass-through that calls `onChunk` for every chunk and `onEnd` when its input ends. */
function passThrough(onChunk: () => void, onEnd: () => void): Transform {
  return new Transform({
    transform(chunk, _encoding, done) {
      onChunk();
      done(null, chunk);
    },
    flush(done) {
      onEnd();
      done();
    },
  });
}
