import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VIEWER } from './helpers/api.ts';
import { useTestApp } from './helpers/app.ts';
import { createDashboard, tileResult } from './helpers/dashboards.ts';
import { policedDomain, sessionFor, warehouseLegs } from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * Tile placeholders are read at save with the lexer of the domain's own dialect, the one that
 * binds them at run time (docs/dashboards.md "Placeholders"): `{{x}}` inside a backticked name is
 * text on MySQL, inside a double-quoted name is text on PostgreSQL, and a tile saves on a domain
 * exactly when it runs there.
 */

const QUOTED = { postgres: '"{{nope}}"', mysql: '`{{nope}}`' } as const;

for (const leg of warehouseLegs()) {
  const dialect = leg.engine === 'mysql' ? 'mysql' : 'postgres';
  const other = dialect === 'mysql' ? 'postgres' : 'mysql';
  describe(`tile placeholders on a ${leg.engine} domain`, () => {
    const t = useTestApp(testBackends()[0]!);

    test('a name quoted the dialect’s way is text; the other dialect’s quoting is read as that dialect reads it', async () => {
      const wh = await leg.open(
        () => t().app.services.data,
        "create table orders (id int, region varchar(10)); insert into orders values (1, 'DE');",
      );
      const domainId = await policedDomain(t(), {
        connection: wh.settings,
        name: 'sales',
        tables: ['orders'],
      });
      const user = await sessionFor(
        t(),
        `v@${leg.engine}.example`,
        [{ roleId: VIEWER, scopes: [domainId] }],
        [],
      );
      const tile = (id: string, sql: string) => ({
        id,
        title: id,
        sql,
        visualization: 'TABLE',
        position: { x: 0, y: 0, w: 4, h: 2 },
      });
      const saved = await createDashboard(t(), {
        title: 'quoted',
        domainId,
        filters: [{ id: 'region', label: 'Region', type: 'TEXT', defaultValues: ['DE'] }],
        tiles: [
          tile('quoted', `select '{{nope}}' as ${QUOTED[dialect]}, id from orders where region = {{region}}`),
        ],
      });
      assert.equal(saved.payload.status.code, 'OK', JSON.stringify(saved.payload.status));
      const ran = await tileResult(t(), user.token, saved.payload.dashboard.id, 'quoted');
      assert.equal(ran.code, undefined, JSON.stringify(ran.body));
      assert.deepEqual(
        ran.result?.columns.map((c) => c.name),
        ['{{nope}}', 'id'],
      );
      assert.deepEqual(ran.result?.rows, [['{{nope}}', 1]]);

      // The other dialect's quoted name is no quoted name here: its braces are read as a placeholder
      // no filter gives (PostgreSQL reads `` ` `` as an operator character), or refused outright
      // (MySQL reads "…" as a string, which the gate refuses); either way, not saved.
      const foreign = await createDashboard(t(), {
        title: 'foreign',
        domainId,
        tiles: [tile('foreign', `select 1 as ${QUOTED[other]} from orders`)],
      });
      assert.equal(
        foreign.payload.status.errorCode,
        'BAD_USER_INPUT',
        JSON.stringify(foreign.payload.status),
      );
      assert.equal(foreign.payload.status.problems[0].field, 'tiles[0].sql');
      await wh.drop();
    });
  });
}
