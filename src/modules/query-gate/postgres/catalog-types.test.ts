import assert from 'node:assert/strict';
import { afterEach, before, test } from 'node:test';
import { loadModule } from 'pgsql-parser';
import { gateRequest, warehouseEngines } from '../../../../test/helpers/gate-warehouse.ts';
import { AppError } from '../../../errors.ts';
import { POSTGRES_TYPES } from './allowlist.ts';
import { CATALOG_TYPES, CATALOG_TYPES_SQL } from './catalog-types.ts';
import { rewritePostgres } from './engine.ts';
import { needsFence } from './fence.ts';
import { parseOneSelect } from './parse.ts';

// Under --test-force-exit, Node's runner can stop early when tests settle on microtasks only.
afterEach(() => new Promise((resolve) => setImmediate(resolve)));

before(() => loadModule());

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

// The attribute-notation rules (postgres/fields.ts, postgres/fence.ts) are only as complete as
// this list: a server version with a new built-in type fails here until the list is regenerated
// and reviewed.
for (const engine of warehouseEngines(['postgres'])) {
  test(`every pg_catalog type of ${engine.name} is in the attribute-notation list`, async () => {
    const w = await engine.open();
    try {
      const names = (await w.run(CATALOG_TYPES_SQL, [])).map((r) => String(r.name));
      assert.ok(
        names.includes('regtype') && names.includes('_int4'),
        'the catalog query finds the built-ins',
      );
      assert.deepEqual(
        names.filter((n) => !CATALOG_TYPES.has(n)),
        [],
      );
    } finally {
      await w.close();
    }
  });
}

test('a field named like a built-in type keeps every fence', () => {
  for (const name of CATALOG_TYPES) {
    const statement = parseOneSelect(`select o.id from orders o where o.${quote(name)} is null`, 'query');
    assert.equal(
      needsFence(statement, { isPolicyWrapper: () => false, isSlotCast: () => false }),
      true,
      name,
    );
  }
});

// `(expr).regrole` is the cast `expr::regrole` (a catalog lookup), and so is `g.regrole` where
// `g` is the scalar alias of a function in FROM: both refused, like the cast written out.
test('a field named like a built-in type outside the cast list is refused', async () => {
  for (const name of ['regtype', 'regrole', 'regproc', 'regconfig', 'tid', '_int4', 'pg_authid']) {
    for (const sql of [
      `select o.id from orders o where (o.region).${quote(name)} is null`,
      `select o.${quote(name)} from orders o`,
      `select g.${quote(name)} from pg_catalog.unnest(array['postgres']) g`,
    ]) {
      await assert.rejects(
        rewritePostgres(gateRequest('postgres', sql)),
        (err: unknown) => err instanceof AppError && err.code === 'QUERY_REFUSED',
        sql,
      );
    }
  }
  // The cast list's own types stay usable as fields, and so do plain column names.
  for (const name of ['text', 'int4', 'region']) {
    assert.ok(POSTGRES_TYPES.has(name) || !CATALOG_TYPES.has(name));
    await rewritePostgres(gateRequest('postgres', `select (o.region).${name} from orders o`));
  }
});
