import { type Kysely, sql } from 'kysely';

/**
 * The attribute copy trigger of 0005_indexes runs only when it has something to do. Every Tessera
 * writer inserts attribute rows with their copies of the user's workspace and email already
 * given, yet the trigger called its PL/pgSQL function for each of them, only to find nothing to
 * look up: a bulk import of a million users paid two million function calls for nothing. A
 * trigger's WHEN condition is evaluated without calling the function, so the insert trigger now
 * fires only for a row that lacks a copy; an update of user_id still always takes the new
 * user's copies. What the trigger does for a row that fires is unchanged.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger user_attributes_copy_user on user_attributes;
    create trigger user_attributes_copy_user before insert on user_attributes
      for each row when (new.workspace_id is null or new.email_normalized is null)
      execute function user_attributes_copy_user();
    create trigger user_attributes_copy_user_moved before update of user_id on user_attributes
      for each row execute function user_attributes_copy_user();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger user_attributes_copy_user_moved on user_attributes;
    drop trigger user_attributes_copy_user on user_attributes;
    create trigger user_attributes_copy_user before insert or update of user_id on user_attributes
      for each row execute function user_attributes_copy_user();
  `.execute(db);
}
