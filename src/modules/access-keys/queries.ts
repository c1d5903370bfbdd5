import type { Executor } from '../../db/index.ts';

export const findAccessKey = (db: Executor, keyId: string) =>
  db.selectFrom('access_keys').selectAll().where('id', '=', keyId).executeTakeFirst();

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

export const touchAccessKey = (db: Executor, keyId: string, at: Date) =>
  db.updateTable('access_keys').set({ last_used_at: at }).where('id', '=', keyId).execute();
