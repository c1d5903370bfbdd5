import { type Kysely, sql } from 'kysely';

/**
 * A version per workspace of everything runQuery's snapshot reads
 * (docs/data-access.md "The snapshot cache"). Triggers bump it in the transaction of the write itself, whichever code path
 * writes, so an instance that cached a user's snapshot sees the change on its very next request:
 * the session check reads the version in its own statement.
 *
 * The triggers are deferred constraint triggers: the version row is locked at commit, after every
 * other lock the transaction takes, so two writers never wait on each other in opposite orders.
 * A transaction bumps each workspace once, however many rows it writes (a session setting
 * remembers which it has bumped, and is rolled back with it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table data_snapshot_versions (
      workspace_id text primary key references workspaces (id) on delete cascade,
      version bigint not null default 0
    );

    create function bump_data_snapshot_version() returns trigger language plpgsql as $$
    declare
      wid text;
      bumped text;
    begin
      if tg_argv[0] = 'workspace' then
        wid := case when tg_op = 'DELETE' then old.workspace_id else new.workspace_id end;
      elsif tg_argv[0] = 'user' then
        select u.workspace_id into wid from users u
          where u.id = case when tg_op = 'DELETE' then old.user_id else new.user_id end;
      else
        select g.workspace_id into wid from user_groups g
          where g.id = case when tg_op = 'DELETE' then old.group_id else new.group_id end;
      end if;
      -- A row whose parent went in the same transaction: the parent's own trigger bumped it.
      if wid is null then return null; end if;
      bumped := coalesce(current_setting('tessera.snapshot_bumped', true), '');
      if position(' ' || wid || ' ' in bumped) > 0 then return null; end if;
      insert into data_snapshot_versions as v (workspace_id, version)
        select wid, 1 where exists (select 1 from workspaces w where w.id = wid)
        on conflict (workspace_id) do update set version = v.version + 1;
      perform set_config('tessera.snapshot_bumped', bumped || ' ' || wid || ' ', true);
      return null;
    end $$;
  `.execute(db);
  const direct = [
    'user_groups',
    'data_connections',
    'data_domains',
    'data_domain_tables',
    'workspace_data_settings',
    'data_column_policies',
    'attribute_definitions',
  ];
  const viaUser = ['user_attributes', 'user_role_assignments', 'group_members'];
  const triggers = [
    ...direct.map((t) => [t, 'workspace']),
    ...viaUser.map((t) => [t, 'user']),
    ['group_role_assignments', 'group'],
  ];
  for (const [table, via] of triggers) {
    await sql`
      create constraint trigger ${sql.raw(`${table}_snapshot_version`)}
        after insert or update or delete on ${sql.table(table!)}
        deferrable initially deferred for each row
        execute function bump_data_snapshot_version(${sql.lit(via)})`.execute(db);
  }
  // Users: only what the snapshot reads (email, status) or removing one; a session start or a
  // sign-in touches other columns and must not invalidate anything.
  await sql`
    create constraint trigger users_snapshot_version_update
      after update on users deferrable initially deferred for each row
      when (old.email is distinct from new.email or old.status is distinct from new.status)
      execute function bump_data_snapshot_version('workspace');
    create constraint trigger users_snapshot_version_delete
      after delete on users deferrable initially deferred for each row
      execute function bump_data_snapshot_version('workspace');
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function bump_data_snapshot_version() cascade;
    drop table data_snapshot_versions;
  `.execute(db);
}
