import { type Kysely, sql } from 'kysely';

/**
 * Sign-in from the customer's identity provider (docs/sso.md): OIDC issuers and their settings
 * per workspace, the (issuer, sub) identities linked to users, pending logins, browser sessions
 * and email sign-in links. Role assignments gain a source: `CLAIM` rows are the ones an ID
 * token's role claims granted, replaced at every login; `DIRECT` ones are untouched by it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table user_role_assignments
      add column source text not null default 'DIRECT',
      add constraint user_role_assignments_source_valid check (source in ('DIRECT', 'CLAIM')),
      drop constraint user_role_assignments_pkey,
      add constraint user_role_assignments_pkey primary key (user_id, source, position);

    create table sso_settings (
      workspace_id text primary key references workspaces (id) on delete cascade,
      jit_enabled boolean not null default false,
      default_role_assignments jsonb not null default '[]'::jsonb,
      default_group_ids text[] not null default '{}',
      role_claims text[] not null default '{roles,groups}',
      role_prefix text not null default 'wisdom',
      group_mappings jsonb not null default '[]'::jsonb,
      updated_at timestamptz not null default now()
    );

    create table sso_issuers (
      id text primary key,
      workspace_id text not null references workspaces (id) on delete cascade,
      name text not null,
      discovery_url text not null,
      client_id text not null,
      client_auth text not null,
      client_secret_sealed text,
      private_key_sealed text,
      scopes text[] not null,
      attribute_mappings jsonb not null default '[]'::jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint sso_issuers_client_auth_valid
        check (client_auth in ('client_secret_basic', 'client_secret_post', 'private_key_jwt'))
    );
    create unique index sso_issuers_workspace_name_unique on sso_issuers (workspace_id, lower(name));

    create table sso_identities (
      issuer_id text not null references sso_issuers (id) on delete cascade,
      subject text not null,
      user_id text not null references users (id) on delete cascade,
      email text not null,
      created_at timestamptz not null,
      last_login_at timestamptz not null,
      constraint sso_identities_pkey primary key (issuer_id, subject),
      constraint sso_identities_issuer_user_unique unique (issuer_id, user_id)
    );
    create index sso_identities_user on sso_identities (user_id);

    create table sso_login_attempts (
      state_hash bytea primary key,
      issuer_id text not null references sso_issuers (id) on delete cascade,
      browser_hash bytea not null,
      nonce text not null,
      code_verifier text not null,
      return_to text not null,
      created_at timestamptz not null,
      expires_at timestamptz not null
    );
    create index sso_login_attempts_expiry on sso_login_attempts (expires_at);

    create table web_sessions (
      id text primary key,
      token_hash bytea not null,
      user_id text not null references users (id) on delete cascade,
      workspace_id text not null,
      via text not null,
      created_at timestamptz not null,
      last_seen_at timestamptz not null,
      idle_expires_at timestamptz not null,
      absolute_expires_at timestamptz not null,
      revoked_at timestamptz,
      constraint web_sessions_token_unique unique (token_hash)
    );
    create index web_sessions_user on web_sessions (user_id);

    create table sign_in_links (
      token_hash bytea primary key,
      user_id text not null references users (id) on delete cascade,
      workspace_id text not null,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz
    );
    create index sign_in_links_user on sign_in_links (user_id);

    create table sign_in_link_requests (
      bucket text not null,
      window_start timestamptz not null,
      requests integer not null,
      constraint sign_in_link_requests_pkey primary key (bucket, window_start)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table sign_in_link_requests; drop table sign_in_links; drop table web_sessions;
    drop table sso_login_attempts; drop table sso_identities; drop table sso_issuers; drop table sso_settings;
    delete from user_role_assignments where source <> 'DIRECT';
    alter table user_role_assignments
      drop constraint user_role_assignments_pkey,
      drop constraint user_role_assignments_source_valid,
      drop column source,
      add constraint user_role_assignments_pkey primary key (user_id, position);
  `.execute(db);
}
