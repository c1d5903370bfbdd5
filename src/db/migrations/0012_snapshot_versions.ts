import { type Kysely, sql } from 'kysely';

/**
 * A version per workspace of everything runQuery's snapshot reads
 * (docs/data-access.md "The snapshot cache"). Triggers bump it in the transaction of the write
 * itself, whichever code path writes, so an instance that cached a user's snapshot sees the change
 * on its very next request: the session check reads the version in its own statement.
 *
 * Two steps, so a write of many rows costs one bump and no lock is taken early:
 * - statement triggers (with transition tables) note which workspaces a statement touched, one
 *   row per transaction and workspace in `data_snapshot_changes`;
 * - a deferred constraint trigger on that table bumps each noted workspace's version at commit and
 *   drops the note. The version row is locked at commit, after every other lock the transaction
 *   takes, so two writers never wait on each other in opposite orders.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table data_snapshot_versions (
      workspace_id text primary key references workspaces (id) on delete cascade,
      version bigint not null default 0
    );

    -- Rows live only inside the transaction that writes them.
    create table data_snapshot_changes (
      tx bigint not null default txid_current(),
      workspace_id text not null,
      constraint data_snapshot_changes_pkey primary key (tx, workspace_id)
    );

    create function note_data_snapshot_change() returns trigger language plpgsql as $$
    begin
      -- The workspaces of the changed rows: on the row itself, or through its user or group. A row
      -- whose parent went in the same statement finds none; the parent's own trigger noted it.
      if tg_op = 'INSERT' then
        insert into data_snapshot_changes (workspace_id)
          select distinct w from (
            select case tg_argv[0]
              when 'user' then (select u.workspace_id from users u where u.id = (to_jsonb(r) ->> 'user_id'))
              when 'group' then (select g.workspace_id from user_groups g where g.id = (to_jsonb(r) ->> 'group_id'))
              else to_jsonb(r) ->> 'workspace_id' end as w
            from new_rows r) c
          where w is not null
          on conflict do nothing;
      elsif tg_op = 'DELETE' then
        insert into data_snapshot_changes (workspace_id)
          select distinct w from (
            select case tg_argv[0]
              when 'user' then (select u.workspace_id from users u where u.id = (to_jsonb(r) ->> 'user_id'))
              when 'group' then (select g.workspace_id from user_groups g where g.id = (to_jsonb(r) ->> 'group_id'))
              else to_jsonb(r) ->> 'workspace_id' end as w
            from old_rows r) c
          where w is not null
          on conflict do nothing;
      elsif tg_argv[0] = 'user_row' then
        -- A user's update matters only when what the snapshot reads changed: a session start or a
        -- sign-in touches other columns and invalidates nothing.
        insert into data_snapshot_changes (workspace_id)
          select distinct n.workspace_id from new_rows n join old_rows o on o.id = n.id
          where o.email is distinct from n.email or o.status is distinct from n.status
            or o.workspace_id is distinct from n.workspace_id
          on conflict do nothing;
      else
        insert into data_snapshot_changes (workspace_id)
          select distinct w from (
            select case tg_argv[0]
              when 'user' then (select u.workspace_id from users u where u.id = (to_jsonb(r) ->> 'user_id'))
              when 'group' then (select g.workspace_id from user_groups g where g.id = (to_jsonb(r) ->> 'group_id'))
              else to_jsonb(r) ->> 'workspace_id' end as w
            from (select * from new_rows union all select * from old_rows) r) c
          where w is not null
          on conflict do nothing;
      end if;
      return null;
    end $$;

    create function bump_data_snapshot_version() returns trigger language plpgsql as $$
    begin
      insert into data_snapshot_versions as v (workspace_id, version)
        select new.workspace_id, 1 where exists (select 1 from workspaces w where w.id = new.workspace_id)
        on conflict (workspace_id) do update set version = v.version + 1;
      delete from data_snapshot_changes where tx = new.tx and workspace_id = new.workspace_id;
      return null;
    end $$;

    create constraint trigger data_snapshot_changes_bump
      after insert on data_snapshot_changes deferrable initially deferred for each row
      execute function bump_data_snapshot_version();
  `.execute(db);
  const triggers: [string, string][] = [
    ['user_groups', 'workspace'],
    ['data_connections', 'workspace'],
    ['data_domains', 'workspace'],
    ['data_domain_tables', 'workspace'],
    ['workspace_data_settings', 'workspace'],
    ['data_column_policies', 'workspace'],
    ['attribute_definitions', 'workspace'],
    // Attribute rows carry a copy of their user's workspace (migration 0005).
    ['user_attributes', 'workspace'],
    ['user_role_assignments', 'user'],
    ['group_members', 'user'],
    ['group_role_assignments', 'group'],
    ['users', 'user_row'],
  ];
  for (const [table, via] of triggers) {
    const name = (event: string) => sql.raw(`${table}_snapshot_${event}`);
    const on = sql.table(table);
    const arg = sql.lit(via);
    // A trigger with transition tables takes one event, so each table gets three.
    if (table !== 'users')
      await sql`create trigger ${name('insert')} after insert on ${on}
        referencing new table as new_rows for each statement
        execute function note_data_snapshot_change(${arg})`.execute(db);
    await sql`create trigger ${name('update')} after update on ${on}
      referencing new table as new_rows old table as old_rows for each statement
      execute function note_data_snapshot_change(${arg})`.execute(db);
    await sql`create trigger ${name('delete')} after delete on ${on}
      referencing old table as old_rows for each statement
      execute function note_data_snapshot_change(${sql.lit(via === 'user_row' ? 'workspace' : via)})`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function note_data_snapshot_change() cascade;
    drop function bump_data_snapshot_version() cascade;
    drop table data_snapshot_changes;
    drop table data_snapshot_versions;
  `.execute(db);
}
