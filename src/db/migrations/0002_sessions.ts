import { type Kysely, sql } from 'kysely';

/**
 * Embedded sessions: the keys that sign Tessera's JWTs, the shared failure counters of the
 * impersonation rate limit, and two workspace settings (a session revocation cut-off and the
 * origins allowed to frame the embed page).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table signing_keys (
      kid text primary key,
      alg text not null,
      public_jwk text not null,
      private_key_sealed text not null,
      state text not null,
      created_at timestamptz not null,
      -- Set when the key stops signing: it stays published and accepted until then.
      retire_after timestamptz,
      constraint signing_keys_state_valid check (state in ('current', 'previous'))
    );
    -- At most one signer: two instances starting together insert one key, the other does nothing.
    create unique index signing_keys_one_current on signing_keys (state) where state = 'current';

    create table auth_failure_counters (
      bucket text not null,
      window_start timestamptz not null,
      failures integer not null,
      constraint auth_failure_counters_pkey primary key (bucket, window_start)
    );
    create index auth_failure_counters_window on auth_failure_counters (window_start);

    alter table workspaces
      add column sessions_revoked_at timestamptz,
      add column allowed_embed_origins text[] not null default '{}';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table workspaces drop column allowed_embed_origins, drop column sessions_revoked_at;
    drop table auth_failure_counters;
    drop table signing_keys;
  `.execute(db);
}
