import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redact } from '../src/modules/data/connections/resolve.ts';
import type { ResolvedSettings } from '../src/modules/data/connections/types.ts';
import { translateDriverError } from '../src/modules/data/engines/errors.ts';
import { poolKey } from '../src/modules/data/engines/pools.ts';

/** Secrets of the data plane: what pools are keyed by, and what errors and explanations may say. */

const settings: ResolvedSettings = {
  connectionId: 'con_1',
  engine: 'postgres',
  host: 'db.internal',
  port: 5432,
  database: 'tenant_a',
  user: 'reader',
  password: 'pa55-Secret!',
  schema: 'public',
  tls: false,
  mappingIndex: 0,
};

describe('data-plane secrets', () => {
  test('two mappings that differ only in password (or any other setting) never share a pool', () => {
    const keys = new Set([
      poolKey(settings),
      poolKey({ ...settings, password: 'other' }),
      poolKey({ ...settings, password: null }),
      poolKey({ ...settings, user: 'writer' }),
      poolKey({ ...settings, schema: 'tenant_b' }),
      poolKey({ ...settings, database: 'tenant_b' }),
      poolKey({ ...settings, connectionId: 'con_2' }),
      poolKey({ ...settings, tls: true }),
      // Values that would collide if the key were a plain join of the fields.
      poolKey({ ...settings, database: 'tenant_a","reader', user: '' }),
    ]);
    assert.equal(keys.size, 9);
    // The mapping index is not part of the identity: same settings, same session.
    assert.equal(poolKey({ ...settings, mappingIndex: 3 }), poolKey(settings));
    assert.ok(!poolKey(settings).includes(settings.password!));
  });

  test('QUERY_FAILED keeps the database message with the password scrubbed', () => {
    const err = translateDriverError(
      { code: '42703', message: `column "pa55-Secret!" does not exist (pa55-Secret!)` },
      [settings.password],
    );
    assert.equal(err.code, 'QUERY_FAILED');
    assert.equal(err.extra.sqlstate, '42703');
    assert.ok(!err.message.includes('pa55-Secret!'), err.message);
  });

  test('connection failures say nothing of host, user, database or password', () => {
    for (const driverError of [
      { code: '28P01', message: 'password authentication failed for user "reader" (pa55-Secret!)' },
      { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED db.internal:5432' },
      { code: '3D000', message: 'database "tenant_a" does not exist' },
      {
        errno: 1045,
        code: 'ER_ACCESS_DENIED_ERROR',
        message: "Access denied for user 'reader'@'db.internal'",
      },
    ]) {
      const err = translateDriverError(driverError, [settings.password]);
      assert.equal(err.code, 'CONNECTION_FAILED');
      for (const secret of ['pa55-Secret!', 'reader', 'db.internal', 'tenant_a']) {
        assert.ok(!err.message.includes(secret), `${err.message} names ${secret}`);
        assert.ok(!JSON.stringify(err.extra).includes(secret));
      }
    }
  });

  test('explanations carry no password, only whether there is one', () => {
    const shown = redact(settings);
    assert.ok(!JSON.stringify(shown).includes('pa55-Secret!'));
    assert.equal(shown.hasPassword, true);
    assert.equal(redact({ ...settings, password: '' }).hasPassword, false);
  });
});
