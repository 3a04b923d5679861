/**
 * A progress bar on standard error for long maintenance work, drawn only when standard error is
 * a terminal (never into a pipe, a log file or a test's captured output).
 */
import cliProgress from "cli-progress";
import type { CliIo } from "./io.js";

/** Drives one bar from the sdk's `onProgress(done, total?)`; call {@link ProgressBar.stop} when done. */
export interface ProgressBar {
  /** Pass as the sdk's `onProgress`. `undefined` when no bar is drawn, so the sdk skips the calls. */
  onProgress: ((done: number, total?: number) => void) | undefined;
  /** Removes the bar (whatever happened), leaving the terminal as it was. */
  stop(): void;
}

const NO_BAR: ProgressBar = { onProgress: undefined, stop: () => {} };
const WIDTH = 30;

/** A bar labelled `label` on `io.stderr`, or one that draws nothing when that is not a TTY. */
export function progressBar(io: CliIo, label: string): ProgressBar {
  if (io.stderr.isTTY !== true) return NO_BAR;
  const bar = new cliProgress.SingleBar({
    stream: io.stderr,
    clearOnComplete: true,
    hideCursor: true,
    fps: 10,
    format: (_options, params, payload: { phase?: string }) => render(label, params, payload.phase),
  });
  let started = false;
  return {
    onProgress(done, total) {
      // An unknown total (the sweep while it lists) shows a count; a known one, a bar.
      const phase = total === undefined ? "counting" : "bar";
      if (!started) {
        bar.start(total ?? 0, done, { phase });
        started = true;
        return;
      }
      if (total !== undefined) bar.setTotal(total);
      bar.update(done, { phase });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function render(label: string, params: cliProgress.Params, phase: string | undefined): string {
  if (phase === "counting") return `${label}: ${params.value} listed`;
  const ratio = params.total > 0 ? Math.min(1, params.value / params.total) : 1;
  const filled = Math.round(ratio * WIDTH);
  return `${label} [${"█".repeat(filled)}${"░".repeat(WIDTH - filled)}] ${params.value}/${params.total}`;
}
