import { type RawBuilder, sql } from 'kysely';
import pg from 'pg';

/**
 * A timestamptz column as PostgreSQL's own text of its UTC wall-clock time,
 * `2026-12-03 07:28:36.123456` (whatever the session's TimeZone), for `isoFromUtcText`.
 *
 * A large read (listUsers of 10,000 users) spent more on its timestamps than on any other
 * column: the driver parses each into a Date with a regular expression and the resolver formats
 * it back. Read as text, a timestamp becomes the API's form with a few slices instead.
 */
export const utcText = (column: string): RawBuilder<string> =>
  sql<string>`(${sql.ref(column)} at time zone 'UTC')::text`;

const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => unknown;

/**
 * The API's form of a timestamp (docs/api-contract.md §4: `Date.prototype.toISOString`, UTC with
 * milliseconds) from `utcText`, byte for byte what parsing it into a Date and formatting it gives:
 * the fraction of a second is cut to milliseconds, never rounded, as the Date drops microseconds.
 */
export function isoFromUtcText(text: string): string {
  const n = text.length;
  // `YYYY-MM-DD HH:MM:SS` and at most six fraction digits (DateStyle ISO, which the drivers' own
  // parsers need as well): every timestamp from year 1 to 9999. Anything else (a BC date, a year
  // past 9999, infinity) is rare enough to take the driver's parser.
  const plain =
    text.charCodeAt(4) === 45 && // '-'
    text.charCodeAt(10) === 32 && // ' '
    (n === 19 || (n >= 21 && n <= 26 && text.charCodeAt(19) === 46)) && // '.'
    isDigit(text.charCodeAt(n - 1));
  if (!plain) return viaDate(text);
  const millis = n === 19 ? '000' : n >= 23 ? text.slice(20, 23) : text.slice(20).padEnd(3, '0');
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${millis}Z`;
}

const isDigit = (code: number) => code >= 48 && code <= 57;

/** The text as PostgreSQL prints it for a UTC session, parsed as every other timestamptz is. */
function viaDate(text: string): string {
  const bc = text.endsWith(' BC');
  const parsed = parseTimestamptz(bc ? `${text.slice(0, -3)}+00 BC` : `${text}+00`);
  if (!(parsed instanceof Date)) throw new TypeError(`not a finite timestamp: ${text}`);
  return parsed.toISOString();
}
