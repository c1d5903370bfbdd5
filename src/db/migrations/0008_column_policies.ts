import { type Kysely, sql } from 'kysely';

/**
 * Column policies (docs/data-access.md "Column policies"): one row per masked column of a domain
 * table. `table_columns` is the table's full column list when the policy was saved; the gate's
 * wrapper projects exactly those columns, so a column added later stays unreadable through the
 * gate until a column policy of that table is saved again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table data_column_policies (
      workspace_id text not null,
      domain_id text not null,
      schema_name text not null,
      table_name text not null,
      column_name text not null,
      mask text not null check (mask in ('NULL', 'TEXT', 'HASH', 'EXPRESSION')),
      mask_text text,
      mask_expression text,
      condition text not null,
      table_columns jsonb not null,
      updated_at timestamptz not null default now(),
      constraint data_column_policies_pkey
        primary key (workspace_id, domain_id, schema_name, table_name, column_name),
      constraint data_column_policies_domain_fkey foreign key (workspace_id, domain_id)
        references data_domains (workspace_id, id) on delete cascade
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table data_column_policies;`.execute(db);
}
