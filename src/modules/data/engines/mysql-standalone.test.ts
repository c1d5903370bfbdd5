import assert from 'node:assert/strict';
import { test } from 'node:test';
import mysql from 'mysql2/promise';
import { gateRequest, openMariadb } from '../../../../test/helpers/gate-warehouse.ts';
import { rewriteQuery } from '../../query-gate/index.ts';
import { proveStandalone } from './mysql.ts';

const mysqlUrl = process.env.TEST_MYSQL_URL;

test('MySQL: each applied policy is proved on its own; a name it cannot resolve inside is refused', {
  skip: !mysqlUrl,
}, async () => {
  const w = await openMariadb(mysqlUrl!);
  const c = await mysql.createConnection({ uri: mysqlUrl!, database: w.main });
  try {
    const good = await rewriteQuery(
      gateRequest('mysql', 'select id from accounts', { main: w.main, archive: w.archive }),
    );
    assert.ok(good.policyChecks && good.policyChecks.length === 1, JSON.stringify(good.policyChecks));
    await proveStandalone(c as unknown as mysql.PoolConnection, good.policyChecks);

    // A policy whose sub-select names a column its tables lack: inside a user's query on MySQL 8
    // the name could bind to the user's own column; alone, the server refuses it.
    const request = gateRequest('mysql', 'select id from accounts', { main: w.main, archive: w.archive });
    const typo = {
      ...request,
      tables: request.tables.map((t) =>
        t.name === 'accounts'
          ? {
              ...t,
              policy: 'id IN (SELECT resource_value FROM entitlements WHERE owner_email = USER_EMAIL())',
            }
          : t,
      ),
    };
    const bad = await rewriteQuery(typo);
    await assert.rejects(
      proveStandalone(c as unknown as mysql.PoolConnection, bad.policyChecks ?? []),
      (err: { code?: string }) => {
        assert.equal(err.code, 'QUERY_FAILED');
        return true;
      },
    );
  } finally {
    await c.end();
    await w.close();
  }
});
