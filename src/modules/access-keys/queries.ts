import { fixedQuery } from '../../db/fixed-query.ts';
import type { Executor } from '../../db/index.ts';

// Compiled once: every authenticated request looks its key up (src/db/fixed-query.ts).
const accessKeyById = fixedQuery((db, v: { keyId: string }) =>
  db.selectFrom('access_keys').selectAll().where('id', '=', v.keyId),
);

export const findAccessKey = async (db: Executor, keyId: string) => (await accessKeyById(db, { keyId }))[0];

/** The workspace of the key `keyId`, or undefined when there is no such key. */
export const workspaceOfKey = async (db: Executor, keyId: string) =>
  (await db.selectFrom('access_keys').select('workspace_id').where('id', '=', keyId).executeTakeFirst())
    ?.workspace_id;

export const anyAccessKey = async (db: Executor) =>
  (await db.selectFrom('access_keys').select('id').limit(1).executeTakeFirst()) !== undefined;

/** Holds the workspace's live key (FOR UPDATE) until the transaction ends; its permissions. */
export const lockLiveKey = (db: Executor, workspaceId: string, keyId: string) =>
  db
    .selectFrom('access_keys')
    .select('permissions')
    .where('id', '=', keyId)
    .where('workspace_id', '=', workspaceId)
    .where('revoked_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();

export const listAccessKeys = (db: Executor, workspaceId: string) =>
  db
    .selectFrom('access_keys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();

export const insertAccessKey = (
  db: Executor,
  row: {
    id: string;
    workspace_id: string;
    name: string;
    secret_hash: Buffer;
    permissions: string[];
    expires_at: Date | null;
    created_by: string | null;
    created_at: Date;
  },
) => db.insertInto('access_keys').values(row).execute();

export const revokeAccessKey = (db: Executor, workspaceId: string, keyId: string, at: Date) =>
  db
    .updateTable('access_keys')
    .set({ revoked_at: at })
    .where('id', '=', keyId)
    .where('workspace_id', '=', workspaceId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();

/**
 * Records a use of the key at `at` unless one was recorded after `since`; true when this call did.
 * The condition is checked by the UPDATE itself (under the row lock), so of many concurrent first
 * uses exactly one records, instead of each that read the old timestamp.
 */
export async function claimAccessKeyUse(
  db: Executor,
  keyId: string,
  at: Date,
  since: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('access_keys')
    .set({ last_used_at: at })
    .where('id', '=', keyId)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', since)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
