import { type Kysely, sql } from 'kysely';

/**
 * The outbox sender claims QUEUED messages that are due and retakes SENDING ones whose lease
 * (kept in `next_attempt_at` while SENDING) ran out, so the due index covers both states.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index outbox_messages_due;
    create index outbox_messages_due on outbox_messages (next_attempt_at) where state in ('QUEUED', 'SENDING');
    create index outbox_messages_listing on outbox_messages (created_at desc, id desc);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index outbox_messages_listing;
    drop index outbox_messages_due;
    create index outbox_messages_due on outbox_messages (next_attempt_at) where state = 'QUEUED';
  `.execute(db);
}
