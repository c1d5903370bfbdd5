import { type Kysely, sql } from 'kysely';

/**
 * Attribute values of up to 4 KiB (the contract's limit) fit the attribute indexes.
 *
 * A btree entry holds at most about 2.7 KB, and (workspace, key, value, email, user) with a 4 KiB
 * value does not fit: such a value failed inside PostgreSQL ("index row size exceeds btree
 * maximum") instead of being stored. The filter index now holds the values of up to
 * `INDEXED_VALUE_BYTES` (2048) bytes, which is every value a filter is likely to name; its entries
 * stay under the limit (workspace and user ids about 30 bytes each, a key at most 64, an email at
 * most 254). Longer values are found through a second, small index on their md5, and the filter
 * re-checks the value itself (src/modules/users/search.ts).
 *
 * `user_attributes_key_value` (key, value, user) has served no query since 0005 (every filter
 * names its workspace first) and is dropped rather than bounded.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index user_attributes_key_value;
    drop index user_attributes_filter_page;
    create index user_attributes_filter_page
      on user_attributes (workspace_id, key, value, email_normalized, user_id)
      where octet_length(value) <= 2048;
    create index user_attributes_long_values
      on user_attributes (workspace_id, key, md5(value))
      where octet_length(value) > 2048;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Fails while a value over about 2.7 KB is stored: the old indexes cannot hold it.
  await sql`
    drop index user_attributes_long_values;
    drop index user_attributes_filter_page;
    create index user_attributes_filter_page
      on user_attributes (workspace_id, key, value, email_normalized, user_id);
    create index user_attributes_key_value on user_attributes (key, value, user_id);
  `.execute(db);
}
