import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { gateRequest } from '../../../test/helpers/gate-warehouse.ts';
import { AppError } from '../../errors.ts';
import { rewriteQuery } from './index.ts';
import type { GateTable, SqlDialect } from './types.ts';

// Under --test-force-exit, Node's runner can stop early when tests settle on microtasks only.
afterEach(() => new Promise((resolve) => setImmediate(resolve)));

/**
 * A domain's tables can name one table twice once a credential mapping moves the base schema's
 * tables to the tenant's schema (docs/data-access.md, "Credential mappings"): `public.orders`
 * read as `acme.orders` next to an `acme.orders` listed with a policy of its own. Which entry
 * applied then depended on their order, and an entry without a policy let the table be read in
 * full. The gate refuses such a request: it cannot tell which policy the table is to carry.
 */
for (const dialect of ['postgres', 'mysql'] as const satisfies readonly SqlDialect[]) {
  test(`${dialect}: a table listed twice is refused, whichever entry comes first`, async () => {
    const main = dialect === 'postgres' ? 'public' : 'shop';
    const policed: GateTable = {
      schema: main,
      name: 'orders',
      policy: "tenant_id = USER_ATTRIBUTE_INT('tenant')",
    };
    const spellings = dialect === 'postgres' ? ['orders'] : ['orders', 'ORDERS'];
    for (const name of spellings) {
      const open: GateTable = {
        schema: dialect === 'postgres' ? main : main.toUpperCase(),
        name,
        policy: null,
      };
      for (const tables of [
        [open, policed],
        [policed, open],
      ]) {
        await assert.rejects(
          rewriteQuery(gateRequest(dialect, 'select id from orders', { tables })),
          (err: unknown) => err instanceof AppError && err.code === 'ACCESS_DENIED',
          JSON.stringify(tables),
        );
      }
    }
    // One entry per table is the normal case.
    await rewriteQuery(gateRequest(dialect, 'select id from orders', { tables: [policed] }));
  });
}
