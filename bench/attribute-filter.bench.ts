// users(filter: { attributes }) at the request limit (20 conditions) on 10,000 users, against the
// shape the filter had before: one correlated EXISTS per condition, which PostgreSQL turns into
// one semi-join each and then searches join orders over (docs/limits.md).
import { benchBackends, label, seedUsers, startBenchApp } from './core-fixture.ts';
import { printSection, type Row, timeInterleaved } from './measure.ts';

const USERS = 10_000;
const PAGE_QUERY = `query($filter: UserFilter) {
  users(first: 50, filter: $filter) { totalCount edges { node { id email } } }
}`;

/**
 * `n` conditions over the seed's five keys that every user meets (key only, or `anyOf` every value
 * the seed writes): the worst case, where no condition narrows the others.
 */
function conditions(n: number): { key: string; anyOf?: string[] }[] {
  const everyValue: Record<string, string[] | undefined> = {
    tenant: Array.from({ length: 100 }, (_, i) => `tenant-${i}`),
    region: ['eu', 'us', 'apac', 'latam'],
    plan: ['plan-0', 'plan-1', 'plan-2'],
    department: Array.from({ length: 20 }, (_, i) => `dept-${i}`),
    display_name: undefined,
  };
  const keys = Object.keys(everyValue);
  return Array.from({ length: n }, (_, i) => {
    const key = keys[i % keys.length]!;
    const anyOf = i % 2 ? everyValue[key] : undefined;
    return anyOf ? { key, anyOf } : { key };
  });
}

/** The page and count queries as the filter built them before: one EXISTS per condition. */
function semiJoinQueries(workspaceId: string, conds: ReturnType<typeof conditions>) {
  const params: unknown[] = [workspaceId];
  const exists = conds.map((c) => {
    params.push(c.key);
    let text = `exists (select 1 from user_attributes ua where ua.user_id = u.id and ua.key = $${params.length}`;
    if (c.anyOf) {
      params.push(c.anyOf);
      text += ` and ua.value = any($${params.length}::text[])`;
    }
    return `${text})`;
  });
  const where = `u.workspace_id = $1 and ${exists.join(' and ')}`;
  return {
    params,
    page: `select u.* from users u where ${where} order by u.email_normalized, u.id limit 51`,
    count: `select count(*) from users u where ${where}`,
  };
}

const rows: Row[] = [];
const notes: string[] = [];
for (const backend of benchBackends()) {
  const b = await startBenchApp(backend);
  try {
    const ws = await b.workspace('filters');
    await seedUsers(b, ws.id, USERS, 'filters');
    for (const n of [5, 20]) {
      const filter = { attributes: conditions(n) };
      const old = semiJoinQueries(ws.id, filter.attributes);
      const { page, semiJoin } = await timeInterleaved(
        {
          page: async () => {
            const data = await b.gql(PAGE_QUERY, { filter }, ws.key);
            if (data.users.totalCount !== USERS) throw new Error(`${n} conditions: wrong count`);
          },
          semiJoin: async () => {
            await b.raw(old.page, old.params);
            await b.raw(old.count, old.params);
          },
        },
        5,
        1,
      );
      rows.push({
        figure: label(backend, `users(first: 50) + totalCount, ${n} conditions all users meet, median`),
        tessera: page.medianMs,
        baseline: semiJoin.medianMs,
        baselineName: 'raw SQL, one EXISTS per condition (the previous shape)',
        unit: 'ms',
      });
    }
  } finally {
    await b.close();
  }
}

printSection('Core: attribute filters at the request limit', rows, [
  `${USERS.toLocaleString('en-US')} users seeded as createUsers writes them (five attributes each), then`,
  'VACUUM ANALYZE. Every condition matches every user, so nothing narrows the work: each is one scan',
  'of the (workspace, key, value) index and the page counts all users. Tessera is the GraphQL request',
  'through `app.fetch` (auth, limits, resolvers, JSON); the baseline runs only the SQL the filter used',
  'to build, page and count. Samples alternate, 5 of each after one warm-up; medians. More than 20',
  'conditions are refused with BAD_REQUEST before any SQL runs.',
  ...notes,
]);
