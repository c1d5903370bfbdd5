import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../db/index.ts';
import type { AccessKeyRow } from '../access-keys/service.ts';

/** What an impersonation needs to decide, read in one statement. */
export interface ImpersonationFacts {
  /** The row of the key id the token names (not yet verified), if there is one. */
  readonly key: AccessKeyRow | undefined;
  /** The user with that email in the key's workspace, looked up only when the secret's hash matches. */
  readonly user: { readonly id: string; readonly email: string; readonly status: string } | undefined;
  /** The failure count folded in from the rate limit's store, when it lives in this database. */
  readonly failures: number | null;
}

interface FactsRow {
  id: string | null;
  workspace_id: string | null;
  name: string | null;
  secret_hash: Uint8Array | null;
  permissions: string[] | null;
  created_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_by: string | null;
  user_id: string | null;
  user_email: string | null;
  user_status: string | null;
  failures: number | null;
}

/**
 * The read model of `impersonateUser`, declared here because it spans three owners' tables: the
 * access key (access-keys), the user it names (users) and the failure count (the rate limit's
 * store), in one round trip instead of three. Always one row, whatever exists, so every failure
 * takes the same path; the user is looked up only for the right secret, so a wrong secret and an
 * unknown key id do the same work. The key is still verified in `AccessKeyService.verifyFound`.
 */
export async function readImpersonationFacts(
  db: Executor,
  input: {
    readonly lookup: { readonly keyId: string; readonly secretHash: Buffer } | null;
    readonly emailNormalized: string;
    readonly failures: RawBuilder<number> | null;
  },
): Promise<ImpersonationFacts> {
  const { rows } = await sql<FactsRow>`
    select k.id, k.workspace_id, k.name, k.secret_hash, k.permissions, k.created_at, k.expires_at,
      k.revoked_at, k.last_used_at, k.created_by,
      u.id as user_id, u.email as user_email, u.status as user_status,
      ${input.failures ?? sql`null::int`} as failures
    from (select 1) as one
    left join access_keys k on k.id = ${input.lookup?.keyId ?? ''}
    left join users u
      on u.workspace_id = k.workspace_id
      and u.email_normalized = ${input.emailNormalized}
      and k.secret_hash = ${input.lookup?.secretHash ?? null}
  `.execute(db);
  const row = rows[0];
  if (!row) throw new Error('the impersonation read model returned no row');
  const key: AccessKeyRow | undefined =
    row.id === null
      ? undefined
      : {
          id: row.id,
          workspace_id: row.workspace_id!,
          name: row.name!,
          secret_hash: row.secret_hash!,
          permissions: row.permissions!,
          created_at: row.created_at!,
          expires_at: row.expires_at,
          revoked_at: row.revoked_at,
          last_used_at: row.last_used_at,
          created_by: row.created_by,
        };
  const user =
    row.user_id === null ? undefined : { id: row.user_id, email: row.user_email!, status: row.user_status! };
  return { key, user, failures: row.failures === null ? null : Number(row.failures) };
}
