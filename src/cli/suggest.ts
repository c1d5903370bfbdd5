/**
 * The known name closest to a mistyped one, for "did you mean …?": edit distance at most a third
 * of the name (at least 2), so `--dryrun` finds `--dry-run` but `--x` finds nothing.
 */
export function closest(input: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(input.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  const prefix = best.name.startsWith(input) || input.startsWith(best.name);
  return best.distance <= Math.max(2, Math.floor(input.length / 3)) || (prefix && input.length >= 3)
    ? best.name
    : undefined;
}

/** Levenshtein distance (insert, delete, substitute), one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
