/**
 * "Did you mean …?" for misspelled config options and package names. A small optimal-string-
 * alignment distance (Levenshtein plus swapped neighbours, the commonest typo) instead of a
 * dependency: the names compared are short and few.
 */

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: distance between the first i characters of a and the first j of b.
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const above = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The candidates nearest to `name` (ignoring case), if they are within a typo's reach: one edit
 * per four characters, at least one and at most three. Ties are all returned, sorted; `name`
 * itself (same case) never is.
 */
export function closestNames(name: string, candidates: Iterable<string>): string[] {
  const wanted = name.toLowerCase();
  const reach = Math.min(3, Math.max(1, Math.floor(name.length / 4)));
  let best = reach + 1;
  let nearest: string[] = [];
  for (const candidate of new Set(candidates)) {
    if (candidate === name) continue;
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance < best) [best, nearest] = [distance, [candidate]];
    else if (distance === best && distance <= reach) nearest.push(candidate);
  }
  return nearest.sort();
}

/** `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`: names for a "did you mean" sentence. */
export function orList(names: readonly string[], quote = "'"): string {
  const quoted = names.map((name) => `${quote}${name}${quote}`);
  return quoted.length <= 1 ? (quoted[0] ?? "") : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
}
