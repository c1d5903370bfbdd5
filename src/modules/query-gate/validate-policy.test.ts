import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { rewriteQuery, type SqlDialect, validatePolicy } from './index.ts';

/** Save-time validation of row policies (docs/data-access.md "Row policies": parse, only these functions, columns exist). */

const COLUMNS = ['id', 'tenant_id', 'region', 'account_id'];

async function problems(dialect: SqlDialect, policy: string, columns: readonly string[] | null = COLUMNS) {
  return validatePolicy(dialect, policy, columns, { schema: 'shop', name: 'orders' });
}

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(`validatePolicy (${dialect})`, () => {
    // Under --test-force-exit, Node's runner can stop early when tests settle on microtasks only
    // (no I/O); one macrotask turn after each test keeps every test running.
    afterEach(() => new Promise((resolve) => setImmediate(resolve)));
    test('accepts the compat language', async () => {
      for (const policy of [
        "tenant_id = USER_ATTRIBUTE('tenantId')",
        "tenant_id = user_attribute_int('tenantId') AND region = USER_ATTRIBUTE_STR('region')",
        "region IN (USER_ATTRIBUTE_STR_LIST('regions'))",
        "id IN (USER_ATTRIBUTE_INT_LIST('ids')) OR tenant_id = 0",
        'account_id IN (SELECT resource_value FROM entitlements WHERE user_email = USER_EMAIL())',
        "orders.tenant_id = USER_ATTRIBUTE_INT('t') AND lower(region) <> 'x'",
        'true',
      ]) {
        assert.deepEqual(await problems(dialect, policy), [], policy);
      }
    });

    test('rejects SQL that does not parse, or is more than one expression', async () => {
      for (const policy of [
        'tenant_id = ',
        'tenant_id = 1)',
        'true) UNION SELECT 1 FROM dual WHERE (true',
        'true; DROP TABLE orders',
        '',
      ]) {
        const found = await problems(dialect, policy);
        assert.equal(found.length, 1, policy);
        assert.equal(found[0]!.code, 'BAD_USER_INPUT');
        assert.equal(found[0]!.field, 'policy');
      }
    });

    test('rejects functions outside the allow-list and misused compat functions', async () => {
      for (const policy of [
        'tenant_id = version()',
        'region = USER_ATTRIBUTE(region)',
        "region = USER_ATTRIBUTE('a', 'b')",
        "region = USER_EMAIL('x')",
        "region = USER_ATTRIBUTE('')",
        'tenant_id = sleep(1)',
        'tenant_id IN (SELECT id FROM information_schema.tables)',
        'tenant_id = shop.evil()',
      ]) {
        const found = await problems(dialect, policy);
        assert.equal(found.length, 1, policy);
        assert.equal(found[0]!.code, 'BAD_USER_INPUT');
      }
    });

    test('names unknown columns when the table columns are known', async () => {
      const found = await problems(dialect, "tenantid = USER_ATTRIBUTE('t') AND regoin = 'DE'");
      assert.deepEqual(found.map((p) => p.item).sort(), ['regoin', 'tenantid']);
      assert.ok(found.every((p) => p.code === 'BAD_USER_INPUT'));
      // Columns inside a policy's sub-select belong to other tables: not checked against these.
      assert.deepEqual(
        await problems(dialect, 'account_id IN (SELECT resource_value FROM entitlements)'),
        [],
      );
      // Unknown columns are fine when the columns are not known.
      assert.deepEqual(await problems(dialect, "tenantid = USER_ATTRIBUTE('t')", null), []);
    });

    test('a column qualified with another table is refused (it would bind to the user query)', async () => {
      const found = await problems(dialect, "customers.tenant_id = USER_ATTRIBUTE('t')");
      assert.equal(found.length, 1);
    });
  });
}

test('postgres: quoted column names are exact; = ANY(list) is accepted', async () => {
  assert.deepEqual(await problems('postgres', '"tenant_id" = USER_ATTRIBUTE(\'t\')'), []);
  assert.equal((await problems('postgres', '"Tenant_Id" = USER_ATTRIBUTE(\'t\')')).length, 1);
  assert.deepEqual(await problems('postgres', "region = ANY(USER_ATTRIBUTE_STR_LIST('r'))"), []);
  assert.deepEqual(await problems('postgres', "tenant_id = ANY(USER_ATTRIBUTE_INT_LIST('r'))"), []);
});

test('postgres: casts to the table schema’s own types are allowed, other schemas’ are not', async () => {
  assert.deepEqual(await problems('postgres', "region::shop.region_code = 'DE'::shop.region_code"), []);
  assert.equal((await problems('postgres', "region::other.region_code = 'DE'")).length, 1);
  assert.equal((await problems('postgres', "region::regclass = 'x'")).length, 1);
});

test('mysql: column names compare case-insensitively; a list outside IN (…) is refused', async () => {
  assert.deepEqual(await problems('mysql', "TENANT_ID = USER_ATTRIBUTE('t')"), []);
  assert.equal((await problems('mysql', "region = USER_ATTRIBUTE_STR_LIST('r')")).length, 1);
});

test('tables inside a policy are schema-qualified in the rewritten query', async () => {
  for (const dialect of ['postgres', 'mysql'] as const) {
    const rewritten = await rewriteQuery({
      dialect,
      sql: 'select * from accounts',
      tables: [
        {
          schema: 'shop',
          name: 'accounts',
          policy: 'id IN (SELECT resource_value FROM entitlements WHERE user_email = USER_EMAIL())',
        },
      ],
      defaultSchema: 'shop',
      user: { email: 'alice@a.test', attributes: new Map() },
      applyPolicies: true,
      requirePolicies: false,
    });
    assert.match(
      rewritten.sql,
      dialect === 'postgres' ? /FROM shop\.entitlements/ : /FROM `shop`\.`entitlements`/,
    );
    assert.deepEqual(rewritten.params, ['alice@a.test']);
    assert.deepEqual(rewritten.attributesUsed, []);
  }
});
