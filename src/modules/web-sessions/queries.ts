import { sql } from 'kysely';
import type { Executor } from '../../db/index.ts';
import './tables.ts';

export interface SessionRow {
  readonly id: string;
  readonly user_id: string;
  readonly workspace_id: string;
  readonly created_at: Date;
  readonly last_seen_at: Date;
  readonly idle_expires_at: Date;
  readonly absolute_expires_at: Date;
}

export const insertSession = (
  db: Executor,
  row: {
    id: string;
    token_hash: Uint8Array;
    user_id: string;
    workspace_id: string;
    via: string;
    at: Date;
    idle_expires_at: Date;
    absolute_expires_at: Date;
  },
) =>
  db
    .insertInto('web_sessions')
    .values({
      id: row.id,
      token_hash: row.token_hash,
      user_id: row.user_id,
      workspace_id: row.workspace_id,
      via: row.via,
      created_at: row.at,
      last_seen_at: row.at,
      idle_expires_at: row.idle_expires_at,
      absolute_expires_at: row.absolute_expires_at,
    })
    .execute();

/** The live session of a token hash; expired or revoked ones are not found. */
export const liveSession = (db: Executor, tokenHash: Uint8Array, now: Date) =>
  db
    .selectFrom('web_sessions')
    .select([
      'id',
      'user_id',
      'workspace_id',
      'created_at',
      'last_seen_at',
      'idle_expires_at',
      'absolute_expires_at',
    ])
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .where('idle_expires_at', '>', now)
    .where('absolute_expires_at', '>', now)
    .executeTakeFirst();

export const extendSession = (db: Executor, id: string, now: Date, idleExpiresAt: Date) =>
  db
    .updateTable('web_sessions')
    .set({ last_seen_at: now, idle_expires_at: idleExpiresAt })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();

export const revokeSessionByHash = async (db: Executor, tokenHash: Uint8Array, now: Date) =>
  (
    await db
      .updateTable('web_sessions')
      .set({ revoked_at: now })
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .returning(['id', 'user_id', 'workspace_id'])
      .execute()
  )[0];

export const revokeSessionById = async (db: Executor, id: string, now: Date) =>
  Number(
    (
      await db
        .updateTable('web_sessions')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
    ).numUpdatedRows,
  );

export const revokeUserSessions = async (db: Executor, userId: string, now: Date) =>
  Number(
    (
      await db
        .updateTable('web_sessions')
        .set({ revoked_at: now })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
    ).numUpdatedRows,
  );

export const insertSignInLink = (
  db: Executor,
  row: { token_hash: Uint8Array; user_id: string; workspace_id: string; at: Date; expires_at: Date },
) =>
  db
    .insertInto('sign_in_links')
    .values({
      token_hash: row.token_hash,
      user_id: row.user_id,
      workspace_id: row.workspace_id,
      created_at: row.at,
      expires_at: row.expires_at,
    })
    .execute();

/** Marks a link used, only if it is unused and not expired: of two racing requests, one wins. */
export const consumeSignInLink = async (db: Executor, tokenHash: Uint8Array, now: Date) =>
  (
    await db
      .updateTable('sign_in_links')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['user_id', 'workspace_id'])
      .execute()
  )[0];

/** Counts one request in a fixed window and returns the window's count so far (this one included). */
export async function countRequest(db: Executor, bucket: string, windowStart: Date): Promise<number> {
  const r = await sql<{ requests: number }>`
    insert into sign_in_link_requests (bucket, window_start, requests) values (${bucket}, ${windowStart}, 1)
    on conflict (bucket, window_start) do update set requests = sign_in_link_requests.requests + 1
    returning requests
  `.execute(db);
  return Number(r.rows[0]!.requests);
}

/** Drops rate-limit windows and links that can no longer matter. */
export async function pruneExpired(db: Executor, before: Date): Promise<void> {
  await db.deleteFrom('sign_in_link_requests').where('window_start', '<', before).execute();
  await db.deleteFrom('sign_in_links').where('expires_at', '<', before).execute();
}
