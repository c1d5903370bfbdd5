import { type Kysely, sql } from 'kysely';

/**
 * The data plane: connections (with sealed secrets and credential mappings), domains and their
 * tables with row policies, and per-workspace data settings. Constraint names are chosen on
 * purpose (the data module translates their violations).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table data_connections (
      id text primary key,
      workspace_id text not null references workspaces (id) on delete cascade,
      name text not null,
      engine text not null,
      host text not null default '',
      port integer,
      database_name text not null default '',
      username text not null default '',
      password_sealed text,
      schema_name text,
      tls boolean not null default false,
      on_no_match text not null default 'DENY',
      -- Ordered mappings; each override password is sealed inside the JSON, never plaintext.
      credential_mappings jsonb not null default '[]'::jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint data_connections_engine_valid check (engine in ('postgres', 'mysql', 'pglite')),
      constraint data_connections_on_no_match_valid check (on_no_match in ('DENY', 'USE_BASE'))
    );
    create unique index data_connections_workspace_name_unique on data_connections (workspace_id, lower(name));

    -- Keyed by workspace too: every workspace has its own built-in domain whose id is 'default'.
    create table data_domains (
      workspace_id text not null references workspaces (id) on delete cascade,
      id text not null,
      name text not null,
      description text not null default '',
      connection_id text references data_connections (id) on delete restrict,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint data_domains_pkey primary key (workspace_id, id)
    );
    create unique index data_domains_workspace_name_unique on data_domains (workspace_id, lower(name));
    create index data_domains_connection on data_domains (connection_id);

    create table data_domain_tables (
      workspace_id text not null,
      domain_id text not null,
      schema_name text not null,
      table_name text not null,
      position integer not null,
      policy text,
      policy_updated_at timestamptz,
      constraint data_domain_tables_pkey primary key (workspace_id, domain_id, schema_name, table_name),
      constraint data_domain_tables_domain_fkey foreign key (workspace_id, domain_id)
        references data_domains (workspace_id, id) on delete cascade
    );

    create table workspace_data_settings (
      workspace_id text primary key references workspaces (id) on delete cascade,
      row_policies_apply_to_admins boolean not null default false,
      require_row_policies boolean not null default false,
      updated_at timestamptz not null default now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table workspace_data_settings; drop table data_domain_tables; drop table data_domains;
    drop table data_connections;
  `.execute(db);
}
