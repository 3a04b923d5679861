import { pipeline as pipelineWithCallback, type Readable, Transform } from "node:stream";
import { timeoutError } from "@flowstate/object-storage-backend";

// Google's client bounds each request up to its answer, but not the bytes after it (a read's
// body). The backend watches them itself: no progress for `requestTimeoutMs` fails the read with a
// TimeoutError. (A streamed upload's PUT is watched the same way in upload.ts.)

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
