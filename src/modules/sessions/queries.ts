import { type Insertable, sql } from 'kysely';
import type { Executor } from '../../db/index.ts';
import type { SigningKeysTable } from '../../db/schema.ts';

export const currentSignerKid = (db: Executor) =>
  db.selectFrom('signing_keys').select('kid').where('state', '=', 'current').executeTakeFirst();

/** Inserts `row` as the signer unless there already is one (the partial unique index decides). */
export const insertSignerIfNone = (db: Executor, row: Insertable<SigningKeysTable>) =>
  db
    .insertInto('signing_keys')
    .values(row)
    .onConflict((oc) => oc.column('state').where('state', '=', 'current').doNothing())
    .execute();

/** Turns the signer into a previous key retired after `retireAfter`; its kid, if there was one. */
export const retireSigner = (db: Executor, retireAfter: Date) =>
  db
    .updateTable('signing_keys')
    .set({ state: 'previous', retire_after: retireAfter })
    .where('state', '=', 'current')
    .returning('kid')
    .executeTakeFirst();

export const insertSigningKey = (db: Executor, row: Insertable<SigningKeysTable>) =>
  db.insertInto('signing_keys').values(row).execute();

export const deleteRetiredKeys = (db: Executor, now: Date) =>
  db.deleteFrom('signing_keys').where('state', '=', 'previous').where('retire_after', '<=', now).execute();

/** Every key not yet retired at `now`. */
export const liveSigningKeys = (db: Executor, now: Date) =>
  db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('retire_after', 'is', null), eb('retire_after', '>', now)]))
    .execute();

export const failureCounts = (db: Executor, buckets: readonly string[], windowStart: Date) =>
  db
    .selectFrom('auth_failure_counters')
    .select(['bucket', 'failures'])
    .where('window_start', '=', windowStart)
    .where('bucket', 'in', buckets)
    .execute();

/** Adds one failure to each bucket's window; the new counts. */
export const addFailures = (db: Executor, buckets: readonly string[], windowStart: Date) =>
  db
    .insertInto('auth_failure_counters')
    .values(buckets.map((bucket) => ({ bucket, window_start: windowStart, failures: 1 })))
    .onConflict((oc) =>
      oc.columns(['bucket', 'window_start']).doUpdateSet({
        failures: sql<number>`auth_failure_counters.failures + 1`,
      }),
    )
    .returning(['bucket', 'failures'])
    .execute();

export const deleteFailureWindowsBefore = (db: Executor, before: Date) =>
  db.deleteFrom('auth_failure_counters').where('window_start', '<', before).execute();
