import { type Kysely, sql } from 'kysely';

/**
 * The core tables. Constraint names are chosen on purpose: the modules translate violations of
 * these names into errors (see db/errors.ts), so renaming one is an API change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table workspaces (
      id text primary key,
      name text not null,
      is_default boolean not null default false,
      created_at timestamptz not null default now(),
      constraint workspaces_name_not_blank check (length(trim(name)) > 0)
    );
    create unique index workspaces_one_default on workspaces (is_default) where is_default;

    create table access_keys (
      id text primary key,
      workspace_id text not null references workspaces (id) on delete cascade,
      name text not null default '',
      secret_hash bytea not null,
      permissions text[] not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz,
      created_by text
    );
    create index access_keys_workspace on access_keys (workspace_id, created_at);

    create table users (
      id text primary key,
      workspace_id text not null references workspaces (id) on delete cascade,
      email text not null,
      email_normalized text collate "C" not null,
      status text not null default 'ACTIVE',
      is_scim_managed boolean not null default false,
      profile_picture text not null default '',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      last_active_session_at timestamptz,
      constraint users_status_valid check (status in ('ACTIVE', 'INACTIVE', 'SUSPENDED', 'PENDING', 'DELETED')),
      constraint users_workspace_email_unique unique (workspace_id, email_normalized)
    );
    -- The unique constraint's index (workspace_id, email_normalized) also serves listUsers ordering and
    -- the keyset pagination of users(first, after), so it stays fast at millions of users.

    create table user_attributes (
      user_id text not null references users (id) on delete cascade,
      source text not null,
      key text not null,
      value text not null,
      constraint user_attributes_pkey primary key (user_id, source, key),
      constraint user_attributes_source_valid check (source in ('DATABASE', 'JWT'))
    );
    -- Attribute filters in users(filter: {attribute}) probe by key and value.
    create index user_attributes_key_value on user_attributes (key, value, user_id);

    create table user_role_assignments (
      user_id text not null references users (id) on delete cascade,
      position integer not null,
      role_id text not null,
      scopes text[] not null,
      constraint user_role_assignments_pkey primary key (user_id, position)
    );
    create index user_role_assignments_role on user_role_assignments (role_id, user_id);

    create table user_groups (
      id text primary key,
      workspace_id text not null references workspaces (id) on delete cascade,
      name text not null,
      description text not null default '',
      created_at timestamptz not null default now(),
      constraint user_groups_name_not_blank check (length(trim(name)) > 0)
    );
    create unique index user_groups_workspace_name_unique on user_groups (workspace_id, lower(name));

    create table group_role_assignments (
      group_id text not null references user_groups (id) on delete cascade,
      position integer not null,
      role_id text not null,
      scopes text[] not null,
      constraint group_role_assignments_pkey primary key (group_id, position)
    );

    create table group_members (
      group_id text not null references user_groups (id) on delete cascade,
      user_id text not null references users (id) on delete cascade,
      added_at timestamptz not null default now(),
      constraint group_members_pkey primary key (group_id, user_id)
    );
    create index group_members_user on group_members (user_id);

    create table audit_events (
      id text primary key,
      seq bigserial not null,
      workspace_id text,
      occurred_at timestamptz not null default now(),
      action text not null,
      outcome text not null default 'SUCCESS',
      actor_key_id text,
      actor_user_id text,
      target_type text,
      target_id text,
      request_id text,
      ip text,
      details jsonb not null default '{}'::jsonb,
      constraint audit_events_outcome_valid check (outcome in ('SUCCESS', 'FAILURE'))
    );
    create index audit_events_workspace_seq on audit_events (workspace_id, seq desc);

    create table outbox_messages (
      id text primary key,
      workspace_id text references workspaces (id) on delete set null,
      kind text not null,
      recipient text not null,
      subject text not null,
      body text not null,
      state text not null default 'QUEUED',
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      last_error text,
      created_at timestamptz not null default now(),
      sent_at timestamptz,
      constraint outbox_messages_state_valid check (state in ('QUEUED', 'SENDING', 'SENT', 'FAILED'))
    );
    create index outbox_messages_due on outbox_messages (next_attempt_at) where state = 'QUEUED';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table outbox_messages; drop table audit_events; drop table group_members;
    drop table group_role_assignments; drop table user_groups; drop table user_role_assignments;
    drop table user_attributes; drop table users; drop table access_keys; drop table workspaces;
  `.execute(db);
}
