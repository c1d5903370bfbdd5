import assert from 'node:assert/strict';
import { test } from 'node:test';
import { warehouseEngines } from '../../../../test/helpers/gate-warehouse.ts';
import { CATALOG_FUNCTIONS_SQL, ONE_ARGUMENT_CATALOG_FUNCTIONS } from './catalog-functions.ts';

// The field-name rule (postgres/fields.ts) is only as complete as this list: a server version
// with a new one-argument built-in fails here until the list is regenerated and reviewed.
for (const engine of warehouseEngines(['postgres'])) {
  test(`every one-argument pg_catalog function of ${engine.name} is in the attribute-notation list`, async () => {
    const w = await engine.open();
    try {
      const names = (await w.run(CATALOG_FUNCTIONS_SQL, [])).map((r) => String(r.name));
      assert.ok(names.length > 500, 'the catalog query finds the built-ins');
      assert.deepEqual(
        names.filter((n) => !ONE_ARGUMENT_CATALOG_FUNCTIONS.has(n)),
        [],
      );
    } finally {
      await w.close();
    }
  });
}
