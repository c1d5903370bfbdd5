import { type Kysely, sql } from 'kysely';

/**
 * The insert triggers of 0012_snapshot_versions on the tables a bulk user write fills read each
 * new row's workspace through `to_jsonb(row)` (one function serves tables of every shape), which
 * turns every inserted row into JSON: a bulk import of a million users built three million JSON
 * objects, and looked its user up once per attribute and role row, only to note one workspace.
 * These tables' rows name their user or workspace in a column, so each gets a function that reads
 * the column itself and looks up each distinct user once. What is noted is unchanged: the
 * distinct workspaces of the inserted rows (through their user for role assignments and group
 * memberships), rows whose user is gone noting nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function note_data_snapshot_insert_by_workspace() returns trigger language plpgsql as $$
    begin
      insert into data_snapshot_changes (workspace_id)
        select distinct n.workspace_id from new_rows n where n.workspace_id is not null
        on conflict do nothing;
      return null;
    end $$;

    create function note_data_snapshot_insert_by_user() returns trigger language plpgsql as $$
    begin
      insert into data_snapshot_changes (workspace_id)
        select distinct u.workspace_id from users u where u.id in (select n.user_id from new_rows n)
        on conflict do nothing;
      return null;
    end $$;

    drop trigger user_attributes_snapshot_insert on user_attributes;
    create trigger user_attributes_snapshot_insert after insert on user_attributes
      referencing new table as new_rows for each statement
      execute function note_data_snapshot_insert_by_workspace();
    drop trigger user_role_assignments_snapshot_insert on user_role_assignments;
    create trigger user_role_assignments_snapshot_insert after insert on user_role_assignments
      referencing new table as new_rows for each statement
      execute function note_data_snapshot_insert_by_user();
    drop trigger group_members_snapshot_insert on group_members;
    create trigger group_members_snapshot_insert after insert on group_members
      referencing new table as new_rows for each statement
      execute function note_data_snapshot_insert_by_user();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger user_attributes_snapshot_insert on user_attributes;
    create trigger user_attributes_snapshot_insert after insert on user_attributes
      referencing new table as new_rows for each statement
      execute function note_data_snapshot_change('workspace');
    drop trigger user_role_assignments_snapshot_insert on user_role_assignments;
    create trigger user_role_assignments_snapshot_insert after insert on user_role_assignments
      referencing new table as new_rows for each statement
      execute function note_data_snapshot_change('user');
    drop trigger group_members_snapshot_insert on group_members;
    create trigger group_members_snapshot_insert after insert on group_members
      referencing new table as new_rows for each statement
      execute function note_data_snapshot_change('user');
    drop function note_data_snapshot_insert_by_user();
    drop function note_data_snapshot_insert_by_workspace();
  `.execute(db);
}
