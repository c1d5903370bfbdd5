// listUsers on 10,000 users and a filtered users(first: 50) page at 100,000 users, each against
// the raw SQL that reads the same data through the same connection.
import { performance } from 'node:perf_hooks';
import { USER_FIELDS } from '../test/helpers/api.ts';
import { benchBackends, label, seedUsers, startBenchApp } from './core-fixture.ts';
import { printSection, type Row, timeInterleaved } from './measure.ts';

const LIST_USERS = 10_000;
const FILTER_USERS = 100_000;

const LIST_QUERY = `query { listUsers { ${USER_FIELDS} } }`;
const PAGE_QUERY = `query($filter: UserFilter) {
  users(first: 50, filter: $filter) {
    edges { cursor node { id email status userAttributes { key value source } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

// The SQL listUsers needs: the users in email order and, for all of them at once, attributes,
// direct and group-inherited role assignments, and groups.
const RAW_LIST = [
  'select * from users where workspace_id = $1 order by email_normalized, id',
  `select a.user_id, a.key, a.value, a.source from user_attributes a join users u on u.id = a.user_id
   where u.workspace_id = $1 order by a.user_id, a.source, a.key`,
  `select r.user_id, r.role_id, r.scopes from user_role_assignments r join users u on u.id = r.user_id
   where u.workspace_id = $1 order by r.user_id, r.position`,
  `select m.user_id, g.group_id, g.role_id, g.scopes from group_members m
   join group_role_assignments g on g.group_id = m.group_id join user_groups ug on ug.id = m.group_id
   where ug.workspace_id = $1 order by m.user_id, g.group_id, g.position`,
  `select m.user_id, ug.id, ug.name from group_members m join user_groups ug on ug.id = m.group_id
   where ug.workspace_id = $1`,
];
// The SQL a filtered first page needs: an ordered range of the (workspace, key, value, email, user)
// index of user_attributes joined to users (with the partial index's predicate, as the search writes
// it: migration 0006), then the attributes of the page's users.
const RAW_PAGE = `select distinct on (a.email_normalized, a.user_id) u.* from user_attributes a
  join users u on u.id = a.user_id
  where a.workspace_id = $1 and a.key = $2 and a.value = $3 and octet_length(a.value) <= 2048
       and u.workspace_id = $1
  order by a.email_normalized, a.user_id limit 51`;
// The same page as a semi-join walked in email order: the only plan before migration 0005.
const RAW_PAGE_SEMIJOIN = `select u.* from users u
  where u.workspace_id = $1
    and exists (select 1 from user_attributes ua where ua.user_id = u.id and ua.key = $2 and ua.value = $3)
  order by u.email_normalized, u.id limit 51`;
const RAW_PAGE_ATTRIBUTES = `select user_id, key, value, source from user_attributes
  where user_id = any($1::text[]) order by user_id, source, key`;

const FILTERS = [
  { name: 'tenant = tenant-7 (1% of users)', key: 'tenant', value: 'tenant-7', expected: 50 },
  { name: 'display_name = User 77777 (1 user)', key: 'display_name', value: 'User 77777', expected: 1 },
];

const rows: Row[] = [];
const notes: string[] = [];
for (const backend of benchBackends()) {
  const b = await startBenchApp(backend);
  try {
    const listWs = await b.workspace('list');
    const filterWs = await b.workspace('filter');
    let started = performance.now();
    await seedUsers(b, listWs.id, LIST_USERS, 'list');
    await seedUsers(b, filterWs.id, FILTER_USERS, 'filter');
    notes.push(
      `${backend.label}: seeding ${(LIST_USERS + FILTER_USERS).toLocaleString('en-US')} users with set-based SQL took ${Math.round(performance.now() - started)} ms.`,
    );

    started = performance.now();
    const { list, rawList } = await timeInterleaved(
      {
        list: async () => {
          const data = await b.gql(LIST_QUERY, {}, listWs.key);
          if (data.listUsers.length !== LIST_USERS) throw new Error('listUsers returned the wrong count');
        },
        rawList: async () => {
          for (const text of RAW_LIST) await b.raw(text, [listWs.id]);
        },
      },
      5,
      1,
    );
    rows.push({
      figure: label(backend, `listUsers, ${LIST_USERS.toLocaleString('en-US')} users × 5 attributes, median`),
      tessera: list.medianMs,
      baseline: rawList.medianMs,
      baselineName: 'raw SQL (5 queries)',
      unit: 'ms',
    });

    for (const f of FILTERS) {
      const filter = { attribute: { key: f.key, value: f.value } };
      const { page, rawPage, rawSemiJoin } = await timeInterleaved(
        {
          page: async () => {
            const data = await b.gql(PAGE_QUERY, { filter }, filterWs.key);
            if (data.users.edges.length !== f.expected) throw new Error(`filter ${f.name}: wrong page size`);
          },
          rawPage: async () => {
            const users = await b.raw<{ id: string }>(RAW_PAGE, [filterWs.id, f.key, f.value]);
            await b.raw(RAW_PAGE_ATTRIBUTES, [users.slice(0, 50).map((u) => u.id)]);
          },
          rawSemiJoin: async () => {
            const users = await b.raw<{ id: string }>(RAW_PAGE_SEMIJOIN, [filterWs.id, f.key, f.value]);
            await b.raw(RAW_PAGE_ATTRIBUTES, [users.slice(0, 50).map((u) => u.id)]);
          },
        },
        40,
      );
      rows.push({
        figure: label(backend, `users(first: 50) filter ${f.name}, 100k users, median`),
        tessera: page.medianMs,
        baseline: rawPage.medianMs,
        baselineName: 'raw SQL (ordered index page + attributes)',
        unit: 'ms',
      });
      rows.push({
        figure: label(backend, `… same filter, vs the semi-join plan used before migration 0005`),
        tessera: page.medianMs,
        baseline: rawSemiJoin.medianMs,
        baselineName: 'raw SQL (semi-join page + attributes)',
        unit: 'ms',
      });
    }
  } finally {
    await b.close();
  }
}

printSection('Core: listUsers at 10,000 users and a filtered users page at 100,000 users', rows, [
  'Users are seeded as createUsers writes them: email_normalized, 5 DATABASE attributes and one VIEWER',
  'assignment each, then VACUUM ANALYZE. Tessera figures are GraphQL requests through `app.fetch` in-process',
  '(access-key auth, Yoga, resolvers, batched loaders, JSON); listUsers selects every User field.',
  'Baselines run the hand-written SQL that reads the same data through the same connection; samples of',
  'Tessera and baselines alternate (5 of listUsers, 40 of each page; medians). A 1-user page is',
  'dominated by fixed per-request work the baseline skips (access-key lookup, GraphQL parse and execute).',
  ...notes,
]);
