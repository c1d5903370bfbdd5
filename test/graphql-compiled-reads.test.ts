// Read-only queries run through the compiled executor (src/graphql/compiled-reads.ts). Its answers
// must be graphql-js's to the byte, errors included. Each query is sent twice: as written (the
// compiled executor takes it once the text recurs, so it is sent once before) and wrapped in an inline fragment on Query (`{ ... on Query { … } }`),
// which means the same thing but is never compiled, so graphql-js answers it. The executions metric
// shows which executor answered each, so neither half of a comparison can silently be the other.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ADMIN, createUsers, USER_FIELDS } from './helpers/api.ts';
import { type TestApp, useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

/** The operation's root selection set, wrapped so that graphql-js executes it. */
function uncompiled(query: string): string {
  const open = query.indexOf('{');
  let depth = 0;
  let close = open;
  for (; close < query.length; close++) {
    if (query[close] === '{') depth++;
    if (query[close] === '}' && --depth === 0) break;
  }
  return `${query.slice(0, open)}{ ... on Query ${query.slice(open, close + 1)} }${query.slice(close + 1)}`;
}

async function executions(t: TestApp): Promise<Record<string, number>> {
  const metric = await t.app.services.metrics.registry
    .getSingleMetric('tessera_graphql_executions_total')!
    .get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.executor), v.value]));
}

async function answeredBy(t: TestApp, send: () => Promise<unknown>): Promise<string> {
  const before = await executions(t);
  await send();
  const after = await executions(t);
  const changed = Object.keys(after).filter((k) => after[k] !== (before[k] ?? 0));
  assert.equal(changed.length, 1, `one execution counted, got ${JSON.stringify(changed)}`);
  return changed[0]!;
}

const PAGE = `edges { cursor node { ${USER_FIELDS} } } pageInfo { hasNextPage endCursor } totalCount`;

/** Successes: the compiled executor answers them. */
const READS: { name: string; query: string; variables?: (ids: Fixture) => Record<string, unknown> }[] = [
  { name: 'listUsers, every field', query: `query { listUsers { ${USER_FIELDS} } }` },
  {
    name: 'listUsers with aliases, __typename and a named fragment',
    query: `query Q { all: listUsers { ...U again: id __typename } listUsers { email } __typename }
      fragment U on User { id email userAttributes { k: key value } roleAssignments { roleId } }`,
  },
  {
    name: '@include and @skip from variables',
    query: `query($yes: Boolean!, $no: Boolean!) { listUsers {
      id email @include(if: $yes) status @skip(if: $yes) userGroups @include(if: $no) { id } } }`,
    variables: () => ({ yes: true, no: false }),
  },
  { name: 'a first page', query: `query { users(first: 7) { ${PAGE} } }` },
  {
    name: 'the next page from a cursor',
    query: `query($after: String) { users(first: 7, after: $after) { ${PAGE} } }`,
    variables: (f) => ({ after: f.cursor }),
  },
  {
    name: 'an attribute filter from variables',
    query: `query($filter: UserFilter) { users(first: 50, filter: $filter) { ${PAGE} } }`,
    variables: () => ({ filter: { attribute: { key: 'tenant', value: 'tenant-1' } } }),
  },
  {
    name: 'role, group, prefix and status filters',
    query: `query($g: ID) {
      byRole: users(filter: { roleId: "${ADMIN}" }) { totalCount edges { node { email } } }
      byGroup: users(filter: { groupId: $g }) { totalCount edges { node { email userGroups { name } } } }
      byPrefix: users(filter: { emailPrefix: "USER-1", status: [ACTIVE] }) { totalCount edges { node { email } } }
      none: users(filter: { attributes: [{ key: "tenant", anyOf: ["nobody"] }] }) { totalCount edges { cursor } }
    }`,
    variables: (f) => ({ g: f.groupId }),
  },
  {
    name: 'one user, and one that does not exist',
    query: `query($id: ID!) { user(id: $id) { ${USER_FIELDS} } missing: user(id: "nope") { id } currentUser { id } }`,
    variables: (f) => ({ id: f.userId }),
  },
];

/** Failures: the compiled run is thrown away and graphql-js answers, with its own errors. */
const FAILURES: { name: string; query: string; variables?: Record<string, unknown> }[] = [
  {
    name: 'a variable of the wrong type',
    query: 'query($n: Int) { users(first: $n) { totalCount } }',
    variables: { n: 'x' },
  },
  {
    name: 'a missing required variable',
    query: 'query($id: ID!) { user(id: $id) { id } }',
  },
  {
    name: 'a bad input object in a variable',
    query: 'query($f: UserFilter) { users(filter: $f) { totalCount } }',
    variables: { f: { attribute: { value: 'x' } } },
  },
  { name: 'a negative page size', query: 'query { users(first: -1) { totalCount } }' },
  { name: 'a malformed cursor', query: 'query { users(after: "!!!") { totalCount } }' },
  { name: 'an unknown workspace', query: 'query { listUsers(workspaceId: "ws-nope") { id } }' },
];

/** A response, its body read as JSON of any shape. */
interface Answer {
  status: number;
  body: any;
}

interface Fixture {
  userId: string;
  groupId: string;
  cursor: string;
}

for (const backend of testBackends()) {
  describe(`compiled read-only queries answer as graphql-js does (${backend.name})`, () => {
    const t = useTestApp(backend);
    let fixture: Fixture;

    before(async () => {
      const group = await t().gql(
        `mutation($input: CreateUserGroupInput!) { createUserGroup(input: $input) { status { code message } userGroup { id } } }`,
        { input: { name: 'analysts', roleAssignments: [{ roleId: ADMIN, scopes: [] }] } },
      );
      const groupId = (group.body as any).data.createUserGroup.userGroup?.id as string;
      assert.ok(groupId, JSON.stringify(group.body));
      const emails = Array.from({ length: 24 }, (_, i) => `User-${i}@Example.com`);
      for (let i = 0; i < emails.length; i += 8) {
        const r = await createUsers(t(), {
          emails: emails.slice(i, i + 8),
          roleAssignments: i === 0 ? [{ roleId: ADMIN, scopes: [] }] : [],
          userAttributes: [
            { key: 'tenant', value: `tenant-${i / 8}` },
            { key: 'display_name', value: `Name ${i}` },
          ],
          userGroupIds: i === 8 ? [groupId] : [],
        });
        assert.equal(r.payload.status.code, 'OK', JSON.stringify(r.body));
      }
      const first = await t().gql('{ users(first: 3) { edges { node { id } } pageInfo { endCursor } } }');
      const users = (first.body as any).data.users;
      fixture = { userId: users.edges[1].node.id, groupId, cursor: users.pageInfo.endCursor };
    });

    for (const read of READS) {
      it(`${read.name}: the same data from both executors`, async () => {
        const variables = read.variables?.(fixture) ?? {};
        let compiled: Answer | undefined;
        let interpreted: Answer | undefined;
        await t().gql(read.query, variables); // a document is compiled when it comes back
        assert.equal(
          await answeredBy(t(), async () => (compiled = await t().gql(read.query, variables))),
          'compiled',
        );
        assert.equal(
          await answeredBy(t(), async () => (interpreted = await t().gql(uncompiled(read.query), variables))),
          'graphql_js',
        );
        assert.equal(compiled!.status, 200);
        assert.equal(compiled!.body.errors, undefined, JSON.stringify(compiled!.body.errors));
        assert.equal(JSON.stringify(compiled!.body), JSON.stringify(interpreted!.body));
      });
    }

    for (const failure of FAILURES) {
      it(`${failure.name}: graphql-js's errors, exactly`, async () => {
        let compiled: Answer | undefined;
        let interpreted: Answer | undefined;
        await t().gql(failure.query, failure.variables); // a document is compiled when it comes back
        const by = await answeredBy(
          t(),
          async () => (compiled = await t().gql(failure.query, failure.variables)),
        );
        // Even a variable error is met in execution (coercion is part of it): the compiled run
        // fails, and graphql-js runs the operation again for its own errors.
        assert.equal(by, 'compiled_rerun');
        await answeredBy(
          t(),
          async () => (interpreted = await t().gql(uncompiled(failure.query), failure.variables)),
        );
        assert.ok(compiled!.body.errors?.length, JSON.stringify(compiled!.body));
        assert.equal(compiled!.status, interpreted!.status);
        assert.equal(
          JSON.stringify(compiled!.body),
          JSON.stringify(adjustLocations(interpreted!.body, failure.query)),
        );
      });
    }

    it('a read without the permission is FORBIDDEN, answered by graphql-js after the compiled run', async () => {
      const key = await t().key(['impersonate']);
      let r: Answer | undefined;
      await t().gql('{ listUsers { id } }', {}, key); // a document is compiled when it comes back
      assert.equal(
        await answeredBy(t(), async () => (r = await t().gql('{ listUsers { id } }', {}, key))),
        'compiled_rerun',
      );
      assert.equal(r!.body.errors[0].extensions.code, 'FORBIDDEN');
      assert.deepEqual(r!.body.errors[0].locations, [{ line: 1, column: 3 }]);
      assert.deepEqual(r!.body.errors[0].path, ['listUsers']);
    });

    it('a text seen for the first time is not compiled, even without a credential; its second run is', async () => {
      const query = `{ listUsers { id email first: status } }`;
      assert.equal(await answeredBy(t(), () => t().gql(query, {}, null)), 'graphql_js');
      assert.equal(await answeredBy(t(), () => t().gql(query, {}, null)), 'compiled_rerun');
      for (let i = 0; i < 5; i++) {
        const once = `{ listUsers { id n${i}: email } }`;
        assert.equal(await answeredBy(t(), () => t().gql(once, {}, null)), 'graphql_js');
      }
    });

    it('mutations and queries with side effects never reach the compiled executor', async () => {
      const mutation = `mutation { createUsers(input: { emails: ["side@example.com"] }) { status { code } } }`;
      // Each sent twice: a read-only text would be compiled on its second run.
      for (const _run of [1, 2]) {
        assert.equal(await answeredBy(t(), () => t().gql(mutation)), 'graphql_js');
        assert.equal(
          await answeredBy(t(), () => t().gql('{ listUsers { id } accessKeys { id } }')),
          'graphql_js',
        );
      }
    });
  });
}

/**
 * The wrapped copy of a query has everything after its first `{` further right by the inline
 * fragment's width, on the first line: those error locations are moved back, so both bodies can be
 * compared whole.
 */
function adjustLocations(body: unknown, query: string): unknown {
  const shift = '{ ... on Query '.length;
  const open = query.indexOf('{') + 1; // 1-based column of the first `{`
  return JSON.parse(
    JSON.stringify(body, (key, value) =>
      key === 'locations'
        ? value.map((l: { line: number; column: number }) =>
            l.line === 1 && l.column > open ? { ...l, column: l.column - shift } : l,
          )
        : value,
    ),
  );
}
