import { sql } from 'kysely';
import { Batcher } from '../../db/batcher.ts';
import type { Db } from '../../db/index.ts';

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

/** Whose session to check: the token's user, and the key that minted it (`act.sub`), if any. */
interface SessionQuestion {
  readonly userId: string;
  readonly actorKeyId: string | undefined;
}

/** Session checks in one statement at once: a couple in flight keep one slow trip from holding back the rest. */
const MAX_IN_FLIGHT = 2;

/**
 * What decides whether a session token still holds, read on every request: the user's status and
 * workspace, the workspace's session cut-off, and the key that minted the session (declared as a
 * read model in src/db/tables.ts). The minting key is read in the same statement: revoking it
 * ends every session it started, on the next request, on every instance (docs/sessions.md,
 * "Ending sessions"). The workspace's data snapshot version rides along, so runQuery knows
 * whether its cached snapshot still holds without a round trip of its own (docs/data-access.md
 * "The snapshot cache"). The checks of requests that arrive while one statement runs share the
 * next one (one row per question, by ordinal); nothing is cached, every check reads the database.
 */
export class SessionStateReader {
  readonly #batcher: Batcher<SessionQuestion, SessionState | undefined>;

  constructor(db: Db) {
    this.#batcher = new Batcher((questions) => readSessionStates(db, questions), {
      maxInFlight: MAX_IN_FLIGHT,
    });
  }

  read(userId: string, actorKeyId: string | undefined): Promise<SessionState | undefined> {
    return this.#batcher.add({ userId, actorKeyId });
  }
}

async function readSessionStates(
  db: Db,
  questions: readonly SessionQuestion[],
): Promise<(SessionState | undefined)[]> {
  // Prepared once per session: its text is the same for any number of questions.
  const { rows } = await sql<SessionState & { n: string | number }>`/* prepared */
    select q.n, users.status, users.workspace_id, workspaces.sessions_revoked_at,
      access_keys.id as key_id, access_keys.revoked_at as key_revoked_at,
      coalesce(data_snapshot_versions.version, 0)::text as snapshot_version
    from unnest(${questions.map((q) => q.userId)}::text[], ${questions.map((q) => q.actorKeyId ?? '')}::text[])
      with ordinality as q(user_id, key_id, n)
    inner join users on users.id = q.user_id
    inner join workspaces on workspaces.id = users.workspace_id
    left join access_keys on access_keys.id = q.key_id and access_keys.workspace_id = users.workspace_id
    left join data_snapshot_versions on data_snapshot_versions.workspace_id = users.workspace_id`.execute(db);
  const byOrdinal = new Map(rows.map(({ n, ...state }) => [Number(n), state]));
  return questions.map((_, i) => byOrdinal.get(i + 1));
}
