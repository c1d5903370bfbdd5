import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  gateRequest,
  HOSTILE_LABELS,
  type Warehouse,
  warehouseDomain,
  warehouseEngines,
  warehouseRows,
} from '../../../test/helpers/gate-warehouse.ts';
import { AppError } from '../../errors.ts';
import { type GateRequest, type GateTable, rewriteQuery } from './index.ts';

/**
 * Attribute values reach the database only as bound parameters: hostile text comes back as
 * exactly the row that holds it; lists select exactly their elements; missing and malformed
 * attributes fail with their own codes, naming the attribute.
 */

const request = (w: Warehouse, sql: string, attributes: Record<string, string>, tables?: GateTable[]) =>
  gateRequest(w.dialect, sql, {
    main: w.main,
    archive: w.archive,
    attributes,
    ...(tables ? { tables } : {}),
  });

/** The domain with `orders` under another policy. */
function withOrdersPolicy(w: Warehouse, policy: string): GateTable[] {
  return warehouseDomain(w).map((t) => (t.name === 'orders' && t.schema === w.main ? { ...t, policy } : t));
}

function expectedOrders(tenant: number, keep: (region: string, id: number) => boolean): number[] {
  return warehouseRows()
    .filter(
      (r) => r.table === 'orders' && r.values[1] === tenant && keep(String(r.values[4]), Number(r.values[0])),
    )
    .map((r) => Number(r.values[0]))
    .sort((a, b) => a - b);
}

async function codeOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error;
  }
  assert.fail('expected the gate to refuse');
}

for (const engine of warehouseEngines()) {
  describe(`query gate attributes on ${engine.name}`, () => {
    let w: Warehouse;
    before(async () => {
      w = await engine.open();
    });
    after(() => w.close());

    const ids = async (r: GateRequest) => {
      const rewritten = await rewriteQuery(r);
      return (await w.run(rewritten.sql, rewritten.params))
        .map((row) => Number(row.id))
        .sort((a, b) => a - b);
    };

    test('hostile attribute values are data, never SQL', async () => {
      for (const [i, label] of HOSTILE_LABELS.entries()) {
        const rewritten = await rewriteQuery(request(w, 'select id from labels', { label }));
        assert.ok(
          !rewritten.sql.includes(label) && rewritten.params.includes(label),
          'the value is a parameter',
        );
        assert.deepEqual(await ids(request(w, 'select id from labels', { label })), [i + 1], label);
      }
      assert.deepEqual(await ids(request(w, 'select id from labels', { label: "' OR ''='" })), []);
    });

    test('hostile values in an untyped comparison with an integer column never widen the result', async () => {
      const rewritten = await rewriteQuery(
        request(w, 'select tenant_id from customers', { tenant: '1 OR 1=1' }),
      );
      if (w.dialect === 'postgres') {
        // The value is a parameter of type integer: the database rejects it.
        await assert.rejects(w.run(rewritten.sql, rewritten.params));
      } else {
        // MySQL compares '1 OR 1=1' as the number 1 (its string-to-number rule), nothing more.
        const rows = await w.run(rewritten.sql, rewritten.params);
        assert.ok(rows.length > 0 && rows.every((r) => Number(r.tenant_id) === 1));
      }
    });

    test('a NUL byte in an attribute value', async () => {
      const label = 'nul\u0000byte';
      if (w.dialect === 'postgres') {
        // PostgreSQL text cannot hold NUL: the gate refuses before the driver would fail.
        const error = await codeOf(rewriteQuery(request(w, 'select id from labels', { label })));
        assert.equal(error.code, 'ATTRIBUTE_TYPE_MISMATCH');
        assert.equal(error.extra.attribute, 'label');
      } else {
        await w.run(`insert into ${w.quote('labels')} values (?, ?, ?)`, [100, 1, label]);
        assert.deepEqual(await ids(request(w, 'select id from labels', { label })), [100]);
        assert.deepEqual(await ids(request(w, 'select id from labels', { label: 'nul' })), []);
      }
    });

    test('IN (USER_ATTRIBUTE_STR_LIST) selects exactly the listed regions', async () => {
      const tables = withOrdersPolicy(
        w,
        "tenant_id = USER_ATTRIBUTE_INT('tenant') AND region IN (USER_ATTRIBUTE_STR_LIST('regions'))",
      );
      const sql = 'select id, region from orders';
      assert.deepEqual(
        await ids(request(w, sql, { tenant: '2', regions: '["DE","FR"]' }, tables)),
        expectedOrders(2, (r) => r === 'DE' || r === 'FR'),
      );
      assert.ok(expectedOrders(2, (r) => r === 'DE' || r === 'FR').length > 0);
      assert.deepEqual(
        await ids(request(w, sql, { tenant: '2', regions: '["US"]' }, tables)),
        expectedOrders(2, (r) => r === 'US'),
      );
      assert.deepEqual(await ids(request(w, sql, { tenant: '2', regions: '[]' }, tables)), []);
      assert.deepEqual(
        await ids(
          request(w, sql, { tenant: '2', regions: JSON.stringify(["DE') OR ('1'='1", 'FR']) }, tables),
        ),
        expectedOrders(2, (r) => r === 'FR'),
      );
    });

    test('a list too long to bind is refused before it reaches the driver', async () => {
      const tables = withOrdersPolicy(w, "id IN (USER_ATTRIBUTE_INT_LIST('orders'))");
      const orders = JSON.stringify(Array.from({ length: 70_000 }, (_, i) => i));
      await assert.rejects(rewriteQuery(request(w, 'select id from orders', { orders }, tables)), {
        code: 'QUERY_REFUSED',
      });
    });

    test('IN (USER_ATTRIBUTE_INT_LIST) selects exactly the listed ids', async () => {
      const tables = withOrdersPolicy(w, "id IN (USER_ATTRIBUTE_INT_LIST('orders'))");
      assert.deepEqual(
        await ids(request(w, 'select id from orders', { orders: '[1001, 2002, 9999]' }, tables)),
        [1001, 2002],
      );
      assert.deepEqual(
        await ids(request(w, 'select id from orders', { orders: '["3003"]' }, tables)),
        [3003],
      );
      assert.deepEqual(await ids(request(w, 'select id from orders', { orders: '[]' }, tables)), []);
    });

    if (engine.name !== 'mariadb') {
      test('= ANY(USER_ATTRIBUTE_STR_LIST) and = ANY(USER_ATTRIBUTE_INT_LIST) (Postgres arrays)', async () => {
        const regions = withOrdersPolicy(
          w,
          "tenant_id = USER_ATTRIBUTE_INT('tenant') AND region = ANY(USER_ATTRIBUTE_STR_LIST('regions'))",
        );
        const rewritten = await rewriteQuery(
          request(w, 'select id from orders', { tenant: '3', regions: '["DE","FR"]' }, regions),
        );
        assert.deepEqual(rewritten.params, [3, ['DE', 'FR']]);
        assert.deepEqual(
          await ids(request(w, 'select id from orders', { tenant: '3', regions: '["DE","FR"]' }, regions)),
          expectedOrders(3, (r) => r === 'DE' || r === 'FR'),
        );
        assert.deepEqual(
          await ids(request(w, 'select id from orders', { tenant: '3', regions: '[]' }, regions)),
          [],
        );
        const byId = withOrdersPolicy(w, "id = ANY(USER_ATTRIBUTE_INT_LIST('orders'))");
        assert.deepEqual(
          await ids(request(w, 'select id from orders', { orders: '[1001, 3008]' }, byId)),
          [1001, 3008],
        );
      });
    }

    test('USER_ATTRIBUTE_STR and USER_ATTRIBUTE_INT bind typed values', async () => {
      const tables = withOrdersPolicy(
        w,
        "region = USER_ATTRIBUTE_STR('region') AND tenant_id = USER_ATTRIBUTE_INT('tenant')",
      );
      assert.deepEqual(
        await ids(request(w, 'select id from orders', { tenant: ' 1 ', region: 'FR' }, tables)),
        expectedOrders(1, (r) => r === 'FR'),
      );
    });

    test('a missing attribute fails with MISSING_ATTRIBUTE naming it, never all rows', async () => {
      const error = await codeOf(rewriteQuery(request(w, 'select * from orders', {})));
      assert.equal(error.code, 'MISSING_ATTRIBUTE');
      assert.equal(error.extra.attribute, 'tenant');
      assert.match(error.message, /tenant/);
      const list = withOrdersPolicy(w, "region IN (USER_ATTRIBUTE_STR_LIST('regions'))");
      const listError = await codeOf(rewriteQuery(request(w, 'select * from orders', { tenant: '1' }, list)));
      assert.equal(listError.code, 'MISSING_ATTRIBUTE');
      assert.equal(listError.extra.attribute, 'regions');
    });

    test('a query that reads no policy table needs no attribute', async () => {
      const rewritten = await rewriteQuery(request(w, 'select 1 as one', {}));
      assert.deepEqual(rewritten.params, []);
      assert.deepEqual(await w.run(rewritten.sql, rewritten.params), [{ one: 1 }]);
    });

    test('values that do not parse fail with ATTRIBUTE_TYPE_MISMATCH naming the attribute', async () => {
      const cases: [string, Record<string, string>, string][] = [
        ["tenant_id = USER_ATTRIBUTE_INT('tenant')", { tenant: 'abc' }, 'tenant'],
        ["tenant_id = USER_ATTRIBUTE_INT('tenant')", { tenant: '1.5' }, 'tenant'],
        ["tenant_id = USER_ATTRIBUTE_INT('tenant')", { tenant: '9007199254740993' }, 'tenant'],
        ["tenant_id = USER_ATTRIBUTE_INT('tenant')", { tenant: '' }, 'tenant'],
        ["region IN (USER_ATTRIBUTE_STR_LIST('regions'))", { regions: 'DE' }, 'regions'],
        ["region IN (USER_ATTRIBUTE_STR_LIST('regions'))", { regions: '{"a":1}' }, 'regions'],
        ["region IN (USER_ATTRIBUTE_STR_LIST('regions'))", { regions: '[["DE"]]' }, 'regions'],
        ["id IN (USER_ATTRIBUTE_INT_LIST('ids'))", { ids: '[1, "x"]' }, 'ids'],
        ["id IN (USER_ATTRIBUTE_INT_LIST('ids'))", { ids: '[1.5]' }, 'ids'],
      ];
      for (const [policy, attributes, name] of cases) {
        const error = await codeOf(
          rewriteQuery(request(w, 'select * from orders', attributes, withOrdersPolicy(w, policy))),
        );
        assert.equal(error.code, 'ATTRIBUTE_TYPE_MISMATCH', `${policy} ${JSON.stringify(attributes)}`);
        assert.equal(error.extra.attribute, name);
      }
    });

    test('parameters follow the printed order when policies appear before FROM in the text', async () => {
      // The walk meets FROM before the select list; the text has the select list first. Each table
      // reads a different attribute, so a parameter in the wrong place would change the result.
      const tables = warehouseDomain(w).map((t) =>
        t.name === 'customers' ? { ...t, policy: "region = USER_ATTRIBUTE_STR('region')" } : t,
      );
      const sql =
        'select (select count(*) from customers c where c.tenant_id = o.tenant_id) as n, o.id from orders o where o.id in (select id from orders) order by o.id';
      const rewritten = await rewriteQuery(request(w, sql, { tenant: '2', region: 'DE' }, tables));
      const rows = await w.run(rewritten.sql, rewritten.params);
      const germanCustomersOf2 = warehouseRows().filter(
        (r) => r.table === 'customers' && r.values[1] === 2 && r.values[3] === 'DE',
      ).length;
      assert.ok(germanCustomersOf2 > 0);
      assert.deepEqual(
        rows.map((r) => Number(r.id)),
        expectedOrders(2, () => true),
      );
      assert.ok(rows.every((r) => Number(r.n) === germanCustomersOf2));
    });

    test('attributesUsed and policies report what the rewrite read', async () => {
      const rewritten = await rewriteQuery(
        request(w, 'select o.id from orders o join accounts a on a.id = o.id', { tenant: '1' }),
      );
      assert.deepEqual(rewritten.attributesUsed, ['tenant']);
      assert.deepEqual(rewritten.policies.map((p) => p.name).sort(), ['accounts', 'orders']);
    });
  });
}
