/**
 * Why PostgreSQL could not store `value` as text, or null when it can. A UTF-8 database refuses
 * NUL outright (a driver error, which used to surface as a 500), and a lone UTF-16 surrogate has
 * no UTF-8 encoding at all: the driver silently writes U+FFFD instead, so the stored value would
 * differ from the one sent. Both are refused, never altered (docs/limits.md, "Text PostgreSQL cannot store").
 */
export function unstorableText(value: string): string | null {
  if (value.includes('\0')) return 'contains a NUL character, which cannot be stored';
  if (!value.isWellFormed()) return 'contains a lone UTF-16 surrogate, which cannot be stored';
  return null;
}
