import { type Kysely, sql } from 'kysely';

/**
 * An index that serves a filtered users page straight from an ordered range scan.
 *
 * `users(filter: {attribute: {key, value}}, first: 50)` lists matching users in email order. With
 * only `user_attributes_key_value`, Postgres must fetch EVERY matching user and sort them before it
 * can return the first 50: at 100,000 users a 1% filter reads 1,000 users for a page, at 1,000,000
 * it reads 10,000, and every other workspace's matches are read and thrown away too. Copying the
 * user's workspace and normalized email into each attribute row lets one index,
 * (workspace_id, key, value, email_normalized, user_id), hand the page over in order: the query
 * stops after 51 rows whatever the workspace size.
 *
 * Triggers keep the copies right for every writer (including ones that only insert user_id, key,
 * value and source); the columns stay nullable so a bad user_id still fails on the foreign key.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table user_attributes
      add column workspace_id text,
      add column email_normalized text collate "C";

    update user_attributes a
      set workspace_id = u.workspace_id, email_normalized = u.email_normalized
      from users u
      where u.id = a.user_id;

    create function user_attributes_copy_user() returns trigger language plpgsql as $$
    begin
      if new.workspace_id is null or new.email_normalized is null or tg_op = 'UPDATE' then
        select u.workspace_id, u.email_normalized into new.workspace_id, new.email_normalized
          from users u where u.id = new.user_id;
      end if;
      return new;
    end $$;
    create trigger user_attributes_copy_user before insert or update of user_id on user_attributes
      for each row execute function user_attributes_copy_user();

    create function users_copy_to_attributes() returns trigger language plpgsql as $$
    begin
      update user_attributes
        set workspace_id = new.workspace_id, email_normalized = new.email_normalized
        where user_id = new.id;
      return null;
    end $$;
    create trigger users_copy_to_attributes after update of workspace_id, email_normalized on users
      for each row
      when (old.workspace_id is distinct from new.workspace_id
            or old.email_normalized is distinct from new.email_normalized)
      execute function users_copy_to_attributes();

    create index user_attributes_filter_page
      on user_attributes (workspace_id, key, value, email_normalized, user_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger users_copy_to_attributes on users;
    drop function users_copy_to_attributes();
    drop trigger user_attributes_copy_user on user_attributes;
    drop function user_attributes_copy_user();
    drop index user_attributes_filter_page;
    alter table user_attributes drop column workspace_id, drop column email_normalized;
  `.execute(db);
}
