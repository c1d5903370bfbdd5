import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rewriteQuery } from '../src/modules/query-gate/index.ts';
import {
  callerRows,
  gateRequest,
  openMariadb,
  openPglite,
  openPostgres,
  outcome,
  type Warehouse,
} from './helpers/gate-warehouse.ts';

/**
 * Error oracles, checked differentially: random queries place an expression that fails only on
 * another tenant's row (PostgreSQL: `1 / (x.tenant_id - 2)`; MySQL: `EXP(1000)` for tenant 2's
 * rows) everywhere a query can hold one: WHERE with AND/OR, JOIN … ON, the select list,
 * ORDER BY, GROUP BY, HAVING, aggregates, windows, CASE, EXISTS / IN / scalar sub-selects,
 * derived tables, CTEs, set operations. Gated for tenant 1 on the full warehouse, each must
 * answer exactly what the same query answers on a warehouse holding only tenant 1's rows (where
 * the oracle has no row to fail on): never an error the caller's rows cannot cause, never a
 * different row. Run as the executor runs it (read-only, pinned search_path / sql_mode).
 */

const TENANT = 1;
const EMAIL = 'alice@a.test';

/** A small seeded generator, so a failure names a reproducible query. */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return {
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}

type Dialect = 'postgres' | 'mysql';

/** An expression over `x` that fails exactly on tenant 2's rows. */
function oracle(dialect: Dialect, x: string): string {
  return dialect === 'postgres'
    ? `(1 / (${x}.tenant_id - 2))`
    : `exp(case when ${x}.tenant_id = 2 then 1000 else 0 end)`;
}

const TABLES = [
  { name: 'orders', cols: ['id', 'tenant_id', 'customer_id', 'amount'] },
  { name: 'customers', cols: ['id', 'tenant_id'] },
  { name: 'tenants', cols: ['id', 'tenant_id'] },
  { name: 'regions', cols: ['tenant_id'] },
] as const;

function query(dialect: Dialect, seed: number): string {
  const r = random(seed);
  const t = r.pick(TABLES);
  const u = r.pick(TABLES);
  const o = oracle(dialect, 'a');
  const cond = () =>
    r.pick([
      `${o} is not null`,
      `a.tenant_id = 1 or ${o} > 0`,
      `not (${o} is null)`,
      `case when a.tenant_id <> 1 then ${o} else 1 end > 0`,
      `${o} > 0 and a.${r.pick(t.cols)} is not null`,
      `coalesce(${o}, 0) >= 0`,
    ]);
  const sub = () => {
    const inner = oracle(dialect, 'b');
    return r.pick([
      `exists (select 1 from ${u.name} b where ${inner} is not null)`,
      `a.tenant_id in (select b.tenant_id from ${u.name} b where ${inner} > 0)`,
      `(select count(*) from ${u.name} b where ${inner} is not null) >= 0`,
      `a.tenant_id = (select max(b.tenant_id) from ${u.name} b where ${inner} is not null)`,
      `not exists (select 1 from ${u.name} b where b.tenant_id = a.tenant_id and ${inner} is null)`,
    ]);
  };
  const from = () =>
    r.pick([
      `${t.name} a`,
      `(select * from ${t.name}) a`,
      `${t.name} a join ${u.name} j on j.tenant_id = a.tenant_id and ${oracle(dialect, 'j')} is not null`,
      `${t.name} a left join ${u.name} j on ${oracle(dialect, 'j')} > 0`,
      `${u.name} j join ${t.name} a on ${o} is not null`,
    ]);
  const body = (): string =>
    r.pick([
      () => `select count(*) as n from ${from()} where ${cond()}`,
      () => `select a.tenant_id, count(*) as n from ${from()} group by a.tenant_id, ${o}`,
      () => `select count(*) as n from ${from()} group by a.tenant_id having sum(${o}) is not null`,
      () => `select a.tenant_id as k from ${from()} order by ${o} limit 3`,
      () => `select sum(${o}) as s from ${from()}`,
      () => `select count(*) as n from ${from()} where ${sub()}`,
      () => `select (select count(*) from ${u.name} b where ${oracle(dialect, 'b')} > 0) as n`,
      () => `select max(${o}) over (partition by a.tenant_id) as w from ${from()}`,
      () => `select case when a.tenant_id = 1 then 'mine' else ${o} end as c from ${from()}`,
      () =>
        `select count(*) as n from ${t.name} a where a.tenant_id = 1 union select count(*) from ${u.name} a where ${cond()}`,
      () => `with c as (select * from ${t.name} a where ${cond()}) select count(*) as n from c`,
      () =>
        `with c as (select a.*, ${o} as v from ${t.name} a) select count(*) as n from c where c.tenant_id = 1`,
    ])();
  return body();
}

async function callerOnly(w: Warehouse): Promise<void> {
  const q = (s: string) => `${w.quote(w.main)}.${w.quote(s)}`;
  const keep = callerRows(TENANT, EMAIL);
  assert.ok(keep.some((row) => row.table === 'orders'));
  for (const table of ['tenants', 'customers', 'orders', 'OrderLines', 'regions']) {
    await w.run(`delete from ${q(table)} where tenant_id <> ${TENANT}`, []);
  }
}

/** As the executor runs a query: PostgreSQL read-only with the pinned search_path; MariaDB's session is pinned by the helper. */
async function runPinned(w: Warehouse, sql: string, params: readonly unknown[], pin: boolean) {
  if (w.dialect === 'mysql') return w.run(sql, params);
  await w.run('begin transaction read only', []);
  try {
    if (pin) await w.run('set local search_path = pg_catalog, pg_temp', []);
    return await w.run(sql, params);
  } finally {
    await w.run('rollback', []);
  }
}

const engines: { name: string; open: () => Promise<Warehouse> }[] = [{ name: 'pglite', open: openPglite }];
const pgUrl = process.env.TEST_DATABASE_URL;
if (pgUrl) engines.push({ name: 'postgres', open: () => openPostgres(pgUrl) });
const myUrl = process.env.TEST_MYSQL_URL;
if (myUrl) engines.push({ name: 'mariadb', open: () => openMariadb(myUrl) });

const QUERIES = 160;

for (const engine of engines) {
  describe(`error oracles answer as on the caller's rows alone (${engine.name})`, () => {
    let full: Warehouse;
    let mine: Warehouse;
    before(async () => {
      full = await engine.open();
      mine = await engine.open();
      await callerOnly(mine);
    });
    after(async () => {
      await full?.close();
      await mine?.close();
    });

    test(`${QUERIES} random queries`, async () => {
      let compared = 0;
      let live = 0;
      for (let seed = 1; seed <= QUERIES; seed++) {
        const sql = query(full.dialect, seed);
        let rewritten: Awaited<ReturnType<typeof rewriteQuery>>;
        try {
          rewritten = await rewriteQuery(
            gateRequest(full.dialect, sql, { main: full.main, archive: full.archive }),
          );
        } catch {
          continue; // refused: nothing ran
        }
        const gated = await outcome(() => runPinned(full, rewritten.sql, rewritten.params, true));
        const alone = await outcome(() => runPinned(mine, sql, [], false));
        assert.deepEqual(gated, alone, `seed ${seed}: ${sql}\n${rewritten.sql}`);
        compared++;
        // Without the gate the same query reads tenant 2's rows: the oracle fires.
        if ((await outcome(() => runPinned(full, sql, [], false))) === 'error') live++;
      }
      // Most of the grammar is accepted: the comparison is not vacuous.
      assert.ok(compared > QUERIES / 2, `only ${compared} of ${QUERIES} queries were accepted`);
      assert.ok(live > compared / 2, `the oracle failed ungated in only ${live} of ${compared} queries`);
    });
  });
}
