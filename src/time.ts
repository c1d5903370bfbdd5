/**
 * The instant an ISO 8601 timestamp from a client names, or null when it is not one Tessera can
 * store and compare. `Date` accepts years from -271821 to 275760, but outside 0001–9999 it prints
 * them in the expanded form (`+275760-09-13T…`) that PostgreSQL cannot parse: such a bound used to
 * fail inside the database as a 500 instead of being refused as bad input (docs/limits.md,
 * "Timestamps and cursors").
 */
export function parseTimestamp(value: string): Date | null {
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) return null;
  const year = instant.getUTCFullYear();
  return year >= 1 && year <= 9999 ? instant : null;
}
