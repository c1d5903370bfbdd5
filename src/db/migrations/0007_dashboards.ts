import { type Kysely, sql } from 'kysely';

/**
 * Dashboards (their filters and tiles kept as one JSON definition, changed as a whole with an
 * optimistic version) and the compat sharing roles on them. Owned by the dashboards module.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table dashboards (
      workspace_id text not null references workspaces (id) on delete cascade,
      id text not null,
      domain_id text not null,
      title text not null,
      description text not null default '',
      definition jsonb not null,
      cache_ttl_seconds integer not null default 60,
      version integer not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint dashboards_pkey primary key (workspace_id, id),
      constraint dashboards_cache_ttl_valid check (cache_ttl_seconds between 0 and 86400),
      constraint dashboards_version_valid check (version >= 1)
    );
    create index dashboards_listing on dashboards (workspace_id, domain_id, title, id);

    create table dashboard_shares (
      workspace_id text not null,
      dashboard_id text not null,
      user_id text not null references users (id) on delete cascade,
      role_id text not null,
      created_at timestamptz not null,
      constraint dashboard_shares_pkey primary key (workspace_id, dashboard_id, user_id, role_id),
      constraint dashboard_shares_dashboard_fkey foreign key (workspace_id, dashboard_id)
        references dashboards (workspace_id, id) on delete cascade,
      constraint dashboard_shares_role_valid check (
        role_id in ('00000000-0000-0000-0000-000000000008', '00000000-0000-0000-0000-000000000009')
      )
    );
    create index dashboard_shares_user on dashboard_shares (user_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table dashboard_shares;
    drop table dashboards;
  `.execute(db);
}
