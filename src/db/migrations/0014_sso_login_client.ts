import { type Kysely, sql } from 'kysely';

/**
 * A pending sign-in remembers the client bucket that started it (its IPv4 address, or its IPv6
 * /64), so the sign-ins one client may have pending at once are bounded: starting one is open to
 * anyone and writes a row (docs/sso.md "Signing in"). Rows written before have none and count
 * for nobody; they expire within ten minutes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sso_login_attempts add column client_bucket text;
    create index sso_login_attempts_client on sso_login_attempts (client_bucket, expires_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index sso_login_attempts_client;
    alter table sso_login_attempts drop column client_bucket;
  `.execute(db);
}
