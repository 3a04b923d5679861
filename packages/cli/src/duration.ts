import { InvalidArgumentError } from "commander";

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

/**
 * Milliseconds of a duration written as a whole number and a unit: `1d`, `6h`, `30m`, `3600s`.
 * A plain number is refused: whether it meant seconds or milliseconds cannot be told.
 * @throws InvalidArgumentError (commander reports it as a usage error, exit 2) saying how to write it.
 */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+)\s*([dhms])\s*$/i.exec(text);
  if (!match) {
    const why = /^\s*\d+(\.\d+)?\s*$/.test(text)
      ? `'${text}' has no unit (it is not taken as milliseconds)`
      : `'${text}' is not a duration`;
    throw new InvalidArgumentError(
      `${why}. Write a whole number and a unit: d (days), h (hours), m (minutes) or s (seconds), e.g. 1d, 6h, 30m, 3600s.`,
    );
  }
  const unit = (match[2] ?? "s").toLowerCase() as keyof typeof UNIT_MS;
  return Number(match[1]) * UNIT_MS[unit];
}

/** A duration in the largest unit that divides it, e.g. `1d`, `90m`, `0s`. */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m"] as const) {
    if (ms > 0 && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

/** Parses a whole number ≥ `min` for an option such as `--map-index`. */
export function parseInteger(option: string, min: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (/^\s*-?\d+\s*$/.test(text) && Number.isSafeInteger(value) && value >= min) return value;
    throw new InvalidArgumentError(`${option} must be a whole number ≥ ${min}, got '${text}'.`);
  };
}
