import { type Kysely, sql } from 'kysely';

/**
 * Attribute definitions (docs/attribute-definitions.md) and the SCIM 2.0 resources' own fields
 * (docs/scim.md). The SCIM tables hold only what Tessera's users and groups have no column for
 * (externalId, the name parts, the enterprise extension); a user or group deleted by any path
 * takes its SCIM row with it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table attribute_definitions (
      workspace_id text not null references workspaces (id) on delete cascade,
      key text not null,
      type text not null,
      pattern text,
      allowed_values text[],
      precedence text not null default 'TRANSIENT_FIRST',
      transient_override text not null default 'ANY',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint attribute_definitions_pkey primary key (workspace_id, key),
      constraint attribute_definitions_type_valid
        check (type in ('STRING', 'STRING_LIST', 'INT', 'BOOL', 'ENUM')),
      constraint attribute_definitions_precedence_valid
        check (precedence in ('TRANSIENT_FIRST', 'JWT_WINS', 'DATABASE_ONLY')),
      constraint attribute_definitions_override_valid
        check (transient_override in ('ANY', 'NARROW_ONLY', 'NEVER'))
    );

    create table scim_users (
      user_id text primary key references users (id) on delete cascade,
      workspace_id text not null references workspaces (id) on delete cascade,
      external_id text,
      resource jsonb not null default '{}'::jsonb,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index scim_users_external_id on scim_users (workspace_id, external_id);

    create table scim_groups (
      group_id text primary key references user_groups (id) on delete cascade,
      workspace_id text not null references workspaces (id) on delete cascade,
      external_id text,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index scim_groups_external_id on scim_groups (workspace_id, external_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table scim_groups;
    drop table scim_users;
    drop table attribute_definitions;
  `.execute(db);
}
