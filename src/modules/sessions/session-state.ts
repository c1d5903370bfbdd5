import type { Executor } from '../../db/index.ts';

/**
 * What decides whether a session token still holds, read on every request in one statement: the
 * user's status and workspace, the workspace's session cut-off, and the key that minted the
 * session (declared as a read model in src/db/tables.ts). The minting key is read in the same
 * statement: revoking it ends every session it started, on the next request, on every instance
 * (docs/sessions.md, "Ending sessions").
 */
export const readSessionState = (db: Executor, userId: string, actorKeyId: string | undefined) =>
  db
    .selectFrom('users')
    .innerJoin('workspaces', 'workspaces.id', 'users.workspace_id')
    .leftJoin('access_keys', (join) =>
      join
        .on('access_keys.id', '=', actorKeyId ?? '')
        .onRef('access_keys.workspace_id', '=', 'users.workspace_id'),
    )
    .select([
      'users.status',
      'users.workspace_id',
      'workspaces.sessions_revoked_at',
      'access_keys.id as key_id',
      'access_keys.revoked_at as key_revoked_at',
    ])
    .where('users.id', '=', userId)
    .executeTakeFirst();
