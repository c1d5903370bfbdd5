// Query gate: parse + check + rewrite time per query, beside the parser alone (same run), and
// the cost of running the rewritten query on PGlite beside the original.
import mysqlGrammar from 'node-sql-parser/build/mysql.js';
import { loadModule, parseSync } from 'pgsql-parser';
import { rewriteQuery } from '../src/modules/query-gate/index.ts';
import { checkMysqlOutput } from '../src/modules/query-gate/mysql/engine.ts';
import { parseMysqlBounded } from '../src/modules/query-gate/mysql/parse.ts';
import { invariantPlan } from '../src/modules/query-gate/postgres/engine.ts';
import { parseOneSelect } from '../src/modules/query-gate/postgres/parse.ts';
import { PolicyTemplates } from '../src/modules/query-gate/postgres/templates.ts';
import { verifyInvariant } from '../src/modules/query-gate/postgres/verify.ts';
import { gateRequest, openPglite } from '../test/helpers/gate-warehouse.ts';
import { printSection, type Row, time } from './measure.ts';

const QUERIES: Record<string, string> = {
  'simple filter': 'select id, amount from orders where amount > 20 order by id',
  '3-way join': `select o.id, c.name, r.name as region_name from orders o
    join customers c on c.id = o.customer_id join regions r on r.code = c.region where o.amount > 10`,
  'CTE + union': `with recent as (select id, tenant_id, amount from orders where amount > 30)
    select id, amount from recent union all select id, amount from archive.orders
    union select id, 0 from customers where region in ('DE', 'FR')`,
};

const SAMPLES = Number(process.env.GATE_BENCH_SAMPLES ?? 400);
const us = (ms: number) => ms * 1000;

await loadModule();
const pgRows: Row[] = [];
for (const [name, sql] of Object.entries(QUERIES)) {
  const gate = await time(() => rewriteQuery(gateRequest('postgres', sql)), SAMPLES, 20);
  const parseOnly = await time(async () => parseSync(sql), SAMPLES, 20);
  pgRows.push({
    figure: `${name}: parse + rewrite`,
    tessera: us(gate.medianMs),
    baseline: us(parseOnly.medianMs),
    baselineName: 'libpg-query parse only',
    unit: 'µs',
  });
}

// The invariant check (postgres/verify.ts) beside the parse it comes after: it walks the parse
// of the printed SQL and compiles each applied policy afresh for comparison.
for (const [name, sql] of Object.entries(QUERIES)) {
  const request = gateRequest('postgres', sql);
  const rewritten = await rewriteQuery(request);
  // The policy templates are the rewrite's (compiled from the policies' text once per query).
  const templates = new PolicyTemplates(request, new Set(['public', 'archive']));
  const check = await time(
    async () => {
      const statement = parseOneSelect(rewritten.sql, 'query');
      verifyInvariant(statement, invariantPlan(request, rewritten.params, templates));
    },
    SAMPLES,
    20,
  );
  const reparse = await time(async () => parseOneSelect(rewritten.sql, 'query'), SAMPLES, 20);
  pgRows.push({
    figure: `${name}: invariant check`,
    tessera: us(check.medianMs - reparse.medianMs),
    baseline: us(reparse.medianMs),
    baselineName: 'parse of the printed SQL',
    unit: 'µs',
  });
}

const db = await openPglite();
for (const [name, sql] of Object.entries(QUERIES)) {
  const rewritten = await rewriteQuery(gateRequest('postgres', sql));
  const gated = await time(() => db.run(rewritten.sql, rewritten.params), 200, 10);
  const original = await time(() => db.run(sql, []), 200, 10);
  pgRows.push({
    figure: `${name}: run rewritten query on PGlite`,
    tessera: us(gated.medianMs),
    baseline: us(original.medianMs),
    baselineName: 'original query (no policies)',
    unit: 'µs',
  });
}
await db.close();

const myRows: Row[] = [];
const parser = new mysqlGrammar.Parser();
for (const [name, sql] of Object.entries(QUERIES)) {
  const gate = await time(() => rewriteQuery(gateRequest('mysql', sql)), SAMPLES, 20);
  const parseOnly = await time(async () => parser.astify(sql, { database: 'mysql' }), SAMPLES, 20);
  myRows.push({
    figure: `${name}: parse + rewrite`,
    tessera: us(gate.medianMs),
    baseline: us(parseOnly.medianMs),
    baselineName: 'node-sql-parser astify only',
    unit: 'µs',
  });
}

// The invariant check (lex + fresh parse + walk + expected wrappers) beside the bare re-parse
// with positions it contains: the check's own work is the difference.
for (const [name, sql] of Object.entries(QUERIES)) {
  const request = gateRequest('mysql', sql);
  const printed = (await rewriteQuery(request)).sql;
  const check = await time(async () => checkMysqlOutput(parser, printed, request), SAMPLES, 20);
  const reparse = await time(
    // The same bounded parse (own V8 context, time limit) the check itself runs.
    async () => parseMysqlBounded(printed, { database: 'mysql', parseOptions: { includeLocations: true } }),
    SAMPLES,
    20,
  );
  myRows.push({
    figure: `${name}: invariant check of the printed SQL`,
    tessera: us(check.medianMs),
    baseline: us(reparse.medianMs),
    baselineName: 're-parse of the printed SQL only',
    unit: 'µs',
  });
}

// A long WITH list: the gate scopes each CTE by a view of one index of its list, so five times
// the CTEs should cost about five times the work (quadratic scoping cost about fifteen).
const cteChain = (n: number) => {
  const name = (i: number) => `c${i.toString(36)}`;
  const ctes = Array.from(
    { length: n },
    (_, i) => `${name(i)} as (select * from ${i ? name(i - 1) : 'orders'})`,
  );
  return `with ${ctes.join(',')} select count(*) from ${name(n - 1)}`;
};
for (const [dialect, rows] of [
  ['postgres', pgRows],
  ['mysql', myRows],
] as const) {
  const short = await time(() => rewriteQuery(gateRequest(dialect, cteChain(700))), 5, 1);
  const long = await time(() => rewriteQuery(gateRequest(dialect, cteChain(3500))), 5, 1);
  rows.push({
    figure: 'WITH list of 3,500 CTEs (98,868 characters): parse + rewrite',
    tessera: long.medianMs,
    baseline: 5 * short.medianMs,
    baselineName: '5 × the same for 700 CTEs (linear growth)',
    unit: 'ms',
  });
}

printSection('Query gate, PostgreSQL dialect', pgRows, [
  'Median of 400 rewrites (200 runs for PGlite). The rewrite parses, walks every node, parses each policy,',
  'deparses, and re-parses the output to check it is the tree that was built (so roughly three parses),',
  'then proves the structural invariant on that re-parse; "invariant check" is that proof alone',
  '(its walk and the comparison with each policy template), beside the re-parse it works on.',
]);
printSection('Query gate, MySQL dialect', myRows, [
  `Median of ${SAMPLES} rewrites. The rewrite lexes, parses, walks, prints once, then checks the printed text:`,
  'lexes it, parses it again with positions, walks that tree and compares each policy wrapper with the',
  'wrapper printed and parsed alone (one small print + parse per protected table).',
]);
