import { badInput } from '../../errors.ts';
import { unstorableText } from '../../text.ts';

/** A `users` page cursor: the last row's normalized email and id, the keyset the search orders by. */
export function encodeCursor(email: string, id: string): string {
  return Buffer.from(JSON.stringify([email, id]), 'utf8').toString('base64url');
}

/** The keyset of a cursor `encodeCursor` made; BAD_USER_INPUT for anything else. */
export function decodeCursor(cursor: string): readonly [string, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A forged cursor could carry text the database refuses (NUL): not a cursor we returned.
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      parsed.every((p) => typeof p === 'string' && unstorableText(p) === null)
    )
      return parsed as [string, string];
  } catch {
    // fall through to the error below
  }
  throw badInput('after is not a cursor this API returned');
}
