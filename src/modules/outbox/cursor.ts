import { badInput } from '../../errors.ts';
import { parseTimestamp } from '../../time.ts';
import type { OutboxMessage } from './queries.ts';

/** Opaque page cursor over (created_at, id), the listing order. */
export function encodeCursor(message: OutboxMessage): string {
  return Buffer.from(`${message.created_at.toISOString()}|${message.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = parseTimestamp(at ?? '');
  if (!id || !/^msg_[0-9a-z]{1,40}$/.test(id) || !createdAt) {
    throw badInput('after is not a cursor this API returned', [
      { code: 'BAD_USER_INPUT', field: 'after', message: 'not a cursor this API returned' },
    ]);
  }
  return { createdAt, id };
}
