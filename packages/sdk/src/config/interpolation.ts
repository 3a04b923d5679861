/** configparser's `MAX_INTERPOLATION_DEPTH`: how deep `%(name)s` references may nest. */
export const MAX_INTERPOLATION_DEPTH = 10;

/** The configparser exception a bad `%` in a value raises in Airflow. */
export type InterpolationErrorKind =
  | "InterpolationSyntaxError"
  | "InterpolationMissingOptionError"
  | "InterpolationDepthError";

/** A value whose `%` interpolation fails; {@link kind} is the configparser exception Airflow raises. */
export class InterpolationFailure extends Error {
  constructor(
    readonly kind: InterpolationErrorKind,
    /** What is wrong and how to fix it; never the value itself, which may be a secret. */
    readonly problem: string,
  ) {
    super(problem);
    this.name = "InterpolationFailure";
  }
}

// BasicInterpolation's _KEYCRE: `%(name)s`, the name up to the first `)`.
const REFERENCE = /^%\(([^)]+)\)s/;

/**
 * configparser's `BasicInterpolation.before_get`: `%%` becomes `%`, and `%(name)s` becomes the
 * raw value of `name` (in Airflow, as written: keys keep their case) from `lookup` — the same
 * section, then `[DEFAULT]` — interpolated in turn, up to {@link MAX_INTERPOLATION_DEPTH} levels.
 * @param lookup The raw value of a key of the section being read, `undefined` when it has none.
 * @throws InterpolationFailure on a `%` followed by anything else, an unknown name, or a reference loop.
 */
export function interpolate(value: string, lookup: (name: string) => string | undefined): string {
  const out: string[] = [];
  interpolateInto(out, value, lookup, 1);
  return out.join("");
}

function interpolateInto(
  out: string[],
  value: string,
  lookup: (name: string) => string | undefined,
  depth: number,
): void {
  if (depth > MAX_INTERPOLATION_DEPTH) {
    throw new InterpolationFailure(
      "InterpolationDepthError",
      `its %(name)s references nest deeper than ${MAX_INTERPOLATION_DEPTH} levels (a reference loop?). Remove the loop`,
    );
  }
  let rest = value;
  while (rest) {
    const percent = rest.indexOf("%");
    if (percent < 0) {
      out.push(rest);
      return;
    }
    out.push(rest.slice(0, percent));
    rest = rest.slice(percent);
    const next = rest[1];
    if (next === "%") {
      out.push("%");
      rest = rest.slice(2);
    } else if (next === "(") {
      rest = reference(out, rest, lookup, depth);
    } else {
      throw new InterpolationFailure(
        "InterpolationSyntaxError",
        "a '%' is not followed by '%' or '('. Write %% for a literal %",
      );
    }
  }
}

/** Appends the value `%(name)s` at the start of `rest` refers to; returns what follows it. */
function reference(
  out: string[],
  rest: string,
  lookup: (name: string) => string | undefined,
  depth: number,
): string {
  const match = REFERENCE.exec(rest);
  const name = match?.[1];
  if (match === null || name === undefined) {
    throw new InterpolationFailure(
      "InterpolationSyntaxError",
      "a '%(' does not start a %(name)s reference (the closing ')s' is missing). Write %% for a literal %",
    );
  }
  const referenced = lookup(name);
  if (referenced === undefined) {
    throw new InterpolationFailure(
      "InterpolationMissingOptionError",
      `it refers to %(${name})s, which is not a key of this section or of [DEFAULT] (names are case-sensitive). ` +
        "Add the key, or write %% for a literal %",
    );
  }
  if (referenced.includes("%")) interpolateInto(out, referenced, lookup, depth + 1);
  else out.push(referenced);
  return rest.slice(match[0].length);
}
