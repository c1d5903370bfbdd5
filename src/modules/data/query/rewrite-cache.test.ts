import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  gateRequest,
  TENANTS,
  type Warehouse,
  warehouseDomain,
  warehouseEngines,
} from '../../../../test/helpers/gate-warehouse.ts';
import { AppError } from '../../../errors.ts';
import type { GateRequest } from '../../query-gate/index.ts';
import { loadGate } from '../gate.ts';
import { RewriteCache } from './rewrite-cache.ts';

const DOMAIN = { workspaceId: 'ws_1', id: 'dom_1' };

/** Queries over the fixture reaching every kind of binding the policies use. */
function queries(w: Warehouse): string[] {
  const q = w.quote;
  return [
    'select id, tenant_id from orders order by id',
    'select c.id, o.id from customers c join orders o on o.customer_id = c.id order by 1, 2',
    'select id from accounts order by id',
    `select id from orders union all select id from ${q(w.archive)}.orders order by 1`,
    'select count(*) from labels',
  ];
}

const errorCode = async (work: () => Promise<unknown>): Promise<string> => {
  try {
    await work();
  } catch (err) {
    if (err instanceof AppError) return `${err.code}:${err.message}`;
    throw err;
  }
  return 'OK';
};

for (const engine of warehouseEngines()) {
  describe(`the rewrite cache (${engine.name})`, () => {
    let w: Warehouse;
    before(async () => {
      w = await engine.open();
    });
    after(async () => {
      await w?.close();
    });

    const request = (sql: string, attributes: Record<string, string>, email: string): GateRequest => ({
      ...gateRequest(w.dialect, sql, { main: w.main, archive: w.archive, attributes }),
      user: { email, attributes: new Map(Object.entries(attributes)) },
    });

    test('users with different values share one entry and each gets exactly the uncached rewrite and rows', async () => {
      const gate = await loadGate();
      const cache = new RewriteCache();
      for (const sql of queries(w)) {
        for (const tenant of TENANTS) {
          const r = request(sql, { tenant: String(tenant), label: `label-${tenant}` }, `u${tenant}@a.test`);
          const cached = await cache.rewrite(gate, r, DOMAIN);
          const direct = await gate.rewriteQuery(r);
          assert.deepEqual(cached, direct, sql);
          assert.deepEqual(await w.run(cached.sql, cached.params), await w.run(direct.sql, direct.params));
        }
      }
      const stats = cache.stats();
      assert.equal(stats.entries, queries(w).length);
      assert.equal(stats.misses, queries(w).length);
      assert.equal(stats.hits, queries(w).length * (TENANTS.length - 1));
    });

    test('concurrent misses of one query count its SQL once', async () => {
      const gate = await loadGate();
      const cache = new RewriteCache();
      const sql = 'select o.id, c.id from orders o join customers c on c.id = o.customer_id';
      const results = await Promise.all(
        TENANTS.map((tenant) =>
          cache.rewrite(gate, request(sql, { tenant: String(tenant) }, 'a@a.test'), DOMAIN),
        ),
      );
      const stats = cache.stats();
      assert.equal(stats.misses, TENANTS.length);
      assert.equal(stats.entries, 1);
      assert.equal(stats.chars, results[0]!.sql.length);
    });

    test('a hit raises MISSING_ATTRIBUTE and ATTRIBUTE_TYPE_MISMATCH exactly as the gate does', async () => {
      const gate = await loadGate();
      const cache = new RewriteCache();
      const sql = 'select o.id, c.id from orders o join customers c on c.id = o.customer_id';
      await cache.rewrite(gate, request(sql, { tenant: '1' }, 'a@a.test'), DOMAIN);
      const bad: Record<string, string>[] = [{}, { tenant: 'x' }, { tenant: '99999999999999999' }];
      if (w.dialect === 'postgres') bad.push({ tenant: '1\u0000' });
      for (const attributes of bad) {
        const r = request(sql, attributes, 'a@a.test');
        const direct = await errorCode(() => gate.rewriteQuery(r));
        assert.notEqual(direct, 'OK');
        assert.equal(await errorCode(() => cache.rewrite(gate, r, DOMAIN)), direct);
      }
      assert.equal(cache.stats().misses, 1);
    });

    test('a policy, table or settings change is another entry, never the old rewrite', async () => {
      const gate = await loadGate();
      const cache = new RewriteCache();
      const sql = 'select id from orders order by id';
      const base = request(sql, { tenant: '2' }, 'b@a.test');
      await cache.rewrite(gate, base, DOMAIN);
      const tables = warehouseDomain({ main: w.main, archive: w.archive });
      const variants: GateRequest[] = [
        {
          ...base,
          tables: tables.map((t) =>
            t.name === 'orders' ? { ...t, policy: "tenant_id = USER_ATTRIBUTE_INT('tenant') and id < 0" } : t,
          ),
        },
        { ...base, tables: tables.filter((t) => t.name !== 'orders' || t.schema !== w.main) },
        { ...base, applyPolicies: false },
        {
          ...base,
          tables: tables.map((t) => (t.name === 'orders' ? { ...t, policy: null } : t)),
          requirePolicies: true,
        },
      ];
      for (const variant of variants) {
        const direct = await errorCode(async () => JSON.stringify(await gate.rewriteQuery(variant)));
        const viaCache = await errorCode(async () =>
          JSON.stringify(await cache.rewrite(gate, variant, DOMAIN)),
        );
        assert.equal(viaCache, direct);
        if (direct === 'OK')
          assert.deepEqual(await cache.rewrite(gate, variant, DOMAIN), await gate.rewriteQuery(variant));
      }
    });

    test('list attributes: bound as one array they share an entry; expanded into IN (…) they are not kept', async () => {
      const gate = await loadGate();
      const cache = new RewriteCache();
      const policy =
        w.dialect === 'postgres'
          ? "region = ANY(USER_ATTRIBUTE_STR_LIST('regions'))"
          : "region IN (USER_ATTRIBUTE_STR_LIST('regions'))";
      const tables = [{ schema: w.main, name: 'orders', policy }];
      const sql = 'select id from orders order by id';
      for (const regions of ['["DE"]', '["DE","FR"]', '["US","IT","FR"]', '[]', '[1]', '"DE"']) {
        const r = { ...request(sql, { regions }, 'c@a.test'), tables };
        const direct = await errorCode(async () => JSON.stringify(await gate.rewriteQuery(r)));
        assert.equal(
          await errorCode(async () => JSON.stringify(await cache.rewrite(gate, r, DOMAIN))),
          direct,
        );
        if (direct === 'OK') {
          const cached = await cache.rewrite(gate, r, DOMAIN);
          assert.deepEqual(cached, await gate.rewriteQuery(r));
          assert.deepEqual(
            await w.run(cached.sql, cached.params),
            await w.run((await gate.rewriteQuery(r)).sql, (await gate.rewriteQuery(r)).params),
          );
        }
      }
      assert.equal(cache.stats().entries, w.dialect === 'postgres' ? 1 : 0);
    });
  });
}
