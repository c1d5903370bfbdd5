import { type Kysely, sql } from 'kysely';

/**
 * An audit event may be STARTED: a query's record is written while the query runs, and its
 * outcome (SUCCESS or FAILURE, with the row count or the error) is filled in once it is known
 * (docs/data-access.md "Running queries: runQuery"). A record that stays STARTED is a query whose
 * outcome was never written: the process stopped while the query ran or just after it answered.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table audit_events drop constraint audit_events_outcome_valid;
    alter table audit_events add constraint audit_events_outcome_valid
      check (outcome in ('SUCCESS', 'FAILURE', 'STARTED'));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    update audit_events set outcome = 'FAILURE' where outcome = 'STARTED';
    alter table audit_events drop constraint audit_events_outcome_valid;
    alter table audit_events add constraint audit_events_outcome_valid
      check (outcome in ('SUCCESS', 'FAILURE'));
  `.execute(db);
}
