import { sql } from 'kysely';
import { Batcher } from '../../db/batcher.ts';
import type { Db } from '../../db/index.ts';
import type { AccessKeyRow } from '../access-keys/service.ts';
import type { AttributeDefinition, AttributeDefinitions } from '../attribute-definitions/rules.ts';

/** What one impersonation asks. */
export interface FactsQuestion {
  /** The key id the token names and the SHA-256 of its secret; null for a token not shaped like a key. */
  readonly lookup: { readonly keyId: string; readonly secretHash: Buffer } | null;
  readonly emailNormalized: string;
  /**
   * The keys of the transient attributes asked for: their definitions in the key's workspace are
   * read alongside the user (none for an empty list).
   */
  readonly attributeKeys: readonly string[];
  /** The attempt's rate-limit buckets and window, read here when the counts live in this database. */
  readonly failures: { readonly buckets: readonly string[]; readonly windowStart: Date } | null;
}

/** What an impersonation needs to decide. */
export interface ImpersonationFacts {
  /** The row of the key id the token names (not yet verified), if there is one. */
  readonly key: AccessKeyRow | undefined;
  /** The user with that email in the key's workspace, looked up only when the secret's hash matches. */
  readonly user: { readonly id: string; readonly email: string; readonly status: string } | undefined;
  /**
   * The workspace's definitions of the asked-for attribute keys, read with the user (empty when
   * there is no user or no key was asked for).
   */
  readonly definitions: AttributeDefinitions;
  /** The highest failure count of the attempt's buckets, when it was asked for. */
  readonly failures: number | null;
}

interface FactsRow {
  n: number | string;
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
  definitions: readonly AttributeDefinition[] | string | null;
  failures: number | string | null;
}

/**
 * The read model of `impersonateUser`, declared here because it spans four owners' tables: the
 * access key (access-keys), the user it names (users), the definitions of the transient attributes
 * asked for (attribute-definitions: docs/attribute-definitions.md "Transient overrides") and the
 * failure counts (this module's rate limit), in one statement instead of four. Nothing is cached:
 * a revoked key, a deleted or suspended user and a changed definition apply on the next request. The questions that arrive while one batch runs share
 * the next statement. Every question gets one row whatever exists, so every failure takes the
 * same path; the user is looked up only for the right secret, so a wrong secret and an unknown key
 * id do the same work. The key is then verified in `AccessKeyService.verifyFound`.
 */
export class ImpersonationFactsReader {
  readonly #batcher: Batcher<FactsQuestion, ImpersonationFacts>;

  /** `maxInFlight`: statements at once (1 for PGlite's single session, a few for a pool). */
  constructor(db: Db, maxInFlight: number) {
    this.#batcher = new Batcher((questions) => readFacts(db, questions), { maxInFlight });
  }

  read(question: FactsQuestion): Promise<ImpersonationFacts> {
    return this.#batcher.add(question);
  }
}

async function readFacts(db: Db, questions: readonly FactsQuestion[]): Promise<ImpersonationFacts[]> {
  if (questions.some((q) => (q.failures?.buckets.length ?? 0) > 2))
    throw new Error('an attempt has at most two rate-limit buckets');
  const column = (f: (q: FactsQuestion) => string | null) => questions.map(f);
  const { rows } = await sql<FactsRow>`
    select i.n, k.id, k.workspace_id, k.name, k.secret_hash, k.permissions, k.created_at, k.expires_at,
      k.revoked_at, k.last_used_at, k.created_by,
      u.id as user_id, u.email as user_email, u.status as user_status,
      case when u.id is not null and i.attribute_keys is not null then (
        select coalesce(json_agg(json_build_object('key', ad.key, 'type', ad.type, 'pattern', ad.pattern,
                                 'allowedValues', ad.allowed_values, 'precedence', ad.precedence,
                                 'transientOverride', ad.transient_override)), '[]'::json)
        from attribute_definitions ad
        where ad.workspace_id = k.workspace_id
          and ad.key in (select json_array_elements_text(i.attribute_keys::json))
      ) end as definitions,
      case when i.window_start is not null then (
        select coalesce(max(f.failures), 0) from auth_failure_counters f
        where f.window_start = i.window_start::timestamptz and f.bucket in (i.bucket_a, i.bucket_b)
      ) end as failures
    from unnest(
      ${column((q) => q.lookup?.keyId ?? '')}::text[],
      ${column((q) => q.lookup?.secretHash.toString('hex') ?? null)}::text[],
      ${column((q) => q.emailNormalized)}::text[],
      ${column((q) => (q.attributeKeys.length > 0 ? JSON.stringify(q.attributeKeys) : null))}::text[],
      ${column((q) => q.failures?.windowStart.toISOString() ?? null)}::text[],
      ${column((q) => q.failures?.buckets[0] ?? null)}::text[],
      ${column((q) => q.failures?.buckets[1] ?? null)}::text[]
    ) with ordinality as i(key_id, secret_hash, email, attribute_keys, window_start, bucket_a, bucket_b, n)
    left join access_keys k on k.id = i.key_id
    left join users u
      on u.workspace_id = k.workspace_id
      and u.email_normalized = i.email
      and k.secret_hash = decode(i.secret_hash, 'hex')
    order by i.n
  `.execute(db);
  const byOrdinal = new Map(rows.map((r) => [Number(r.n), r]));
  return questions.map((_, i) => {
    const row = byOrdinal.get(i + 1);
    if (!row) throw new Error('the impersonation read model lost a question');
    return toFacts(row);
  });
}

function toFacts(row: FactsRow): ImpersonationFacts {
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
  // Drivers hand `json` columns back parsed; tolerate one that returns the text.
  const definitions: readonly AttributeDefinition[] =
    typeof row.definitions === 'string' ? JSON.parse(row.definitions) : (row.definitions ?? []);
  return {
    key,
    user,
    definitions: new Map(definitions.map((d) => [d.key, d])),
    failures: row.failures === null ? null : Number(row.failures),
  };
}
