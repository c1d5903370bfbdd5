import { sql } from 'kysely';
import type { Executor } from '../../db/index.ts';

/** What decides whether a session token still holds. */
export interface SessionState {
  readonly status: string;
  readonly workspace_id: string;
  readonly sessions_revoked_at: Date | null;
  readonly key_id: string | null;
  readonly key_revoked_at: Date | null;
  /** The workspace's data snapshot version (text: a bigint), which runQuery's snapshot cache is checked against. */
  readonly snapshot_version: string;
}

/**
 * What decides whether a session token still holds, read on every request in one statement: the
 * user's status and workspace, the workspace's session cut-off, and the key that minted the
 * session (declared as a read model in src/db/tables.ts). The minting key is read in the same
 * statement: revoking it ends every session it started, on the next request, on every instance
 * (docs/sessions.md, "Ending sessions"). The workspace's data snapshot version rides along, so
 * runQuery knows whether its cached snapshot still holds without a round trip of its own
 * (docs/data-access.md "The snapshot cache"). Prepared once per session: it runs on every request.
 */
export async function readSessionState(
  db: Executor,
  userId: string,
  actorKeyId: string | undefined,
): Promise<SessionState | undefined> {
  const { rows } = await sql<SessionState>`/* prepared */
    select users.status, users.workspace_id, workspaces.sessions_revoked_at,
      access_keys.id as key_id, access_keys.revoked_at as key_revoked_at,
      coalesce(data_snapshot_versions.version, 0)::text as snapshot_version
    from users
    inner join workspaces on workspaces.id = users.workspace_id
    left join data_snapshot_versions on data_snapshot_versions.workspace_id = users.workspace_id
    left join access_keys on access_keys.id = ${actorKeyId ?? ''} and access_keys.workspace_id = users.workspace_id
    where users.id = ${userId}`.execute(db);
  return rows[0];
}
