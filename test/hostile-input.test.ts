import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UNAUTHORIZED_BODY } from '../src/graphql/errors.ts';
import { createUsers, rowCounts, USER_FIELDS } from './helpers/api.ts';
import { type TestApp, useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * docs/limits.md: hostile input is refused with a stable code before anything runs, never a 500,
 * and changes nothing (users, attributes, roles, groups, outbox and audit rows are counted).
 */
const NUL = '\u0000';
const UNAUTHORIZED = JSON.parse(UNAUTHORIZED_BODY);
const LONE = '\ud800';

async function counts(t: TestApp): Promise<Record<string, number>> {
  const audit = await t.app.services.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { ...(await rowCounts(t)), audit_events: Number(audit.n) };
}

const CREATE =
  'mutation($i: CreateUsersInput!) { createUsers(input: $i) { status { code errorCode problems { field } } } }';
const SET_ATTRS =
  'mutation($i: SetUserAttributesInput!) { setUserAttributes(input: $i) { status { code errorCode problems { field } } } }';
const DELETE =
  'mutation($i: DeleteUsersFromWorkspaceInput!) { deleteUsersFromWorkspace(input: $i) { status { code errorCode problems { field } } } }';
const USERS = 'query($f: UserFilter, $after: String) { users(filter: $f, after: $after) { totalCount } }';
const GROUP =
  'mutation($i: CreateUserGroupInput!) { createUserGroup(input: $i) { status { code errorCode problems { field } } } }';
const ADD_TO_GROUP =
  'mutation($i: GroupMembersInput!) { addUsersToGroup(input: $i) { status { code errorCode problems { field } } } }';
const IMPERSONATE =
  'mutation($k: String!, $e: String!, $a: [UserAttributeInput!]) { impersonateUser(accessToken: $k, userEmail: $e, attributes: $a) }';

/** [what, query, variables (the user id is filled in), the field the refusal must name, no credential]. */
type TextCase = [string, string, (userId: string, key: string) => Record<string, unknown>, string, boolean?];
const textCases: TextCase[] = [
  [
    'NUL in an attribute key',
    CREATE,
    () => ({ i: { emails: ['k@h.test'], userAttributes: [{ key: `k${NUL}`, value: 'v' }] } }),
    'userAttributes[0].key',
  ],
  [
    'lone surrogate in an attribute value',
    CREATE,
    () => ({ i: { emails: ['v@h.test'], userAttributes: [{ key: 'k', value: `a${LONE}b` }] } }),
    'userAttributes[0].value',
  ],
  [
    'NUL in a scope',
    CREATE,
    () => ({
      i: {
        emails: ['s@h.test'],
        roleAssignments: [{ roleId: '00000000-0000-0000-0000-000000000003', scopes: [`default${NUL}`] }],
      },
    }),
    'roleAssignments[0].scopes[0]',
  ],
  [
    'NUL in a role id',
    CREATE,
    () => ({ i: { emails: ['r@h.test'], roleAssignments: [{ roleId: `r${NUL}`, scopes: [] }] } }),
    'roleAssignments[0].roleId',
  ],
  [
    'NUL in a group id',
    CREATE,
    () => ({ i: { emails: ['g@h.test'], userGroupIds: [`grp_${NUL}`] } }),
    'userGroupIds[0]',
  ],
  [
    'NUL in a workspace id',
    CREATE,
    () => ({ i: { emails: ['w@h.test'], workspaceID: `ws_${NUL}` } }),
    'workspaceID',
  ],
  [
    'NUL in a user id (setUserAttributes)',
    SET_ATTRS,
    () => ({ i: { userId: `usr_${NUL}`, userAttributes: [] } }),
    'userId',
  ],
  [
    'lone surrogate in a stored value (setUserAttributes)',
    SET_ATTRS,
    (id) => ({ i: { userId: id, userAttributes: [{ key: 'k', value: `${LONE}` }] } }),
    'userAttributes[0].value',
  ],
  [
    'NUL in userIds (deleteUsersFromWorkspace)',
    DELETE,
    (id) => ({ i: { userIds: [id, `usr_${NUL}`] } }),
    'userIds[1]',
  ],
  ['NUL in an email prefix', USERS, () => ({ f: { emailPrefix: `a${NUL}` } }), 'filter.emailPrefix'],
  ['NUL in a group filter', USERS, () => ({ f: { groupId: `grp_${NUL}` } }), 'filter.groupId'],
  ['NUL in a role filter', USERS, () => ({ f: { roleId: `r${NUL}` } }), 'filter.roleId'],
  [
    'NUL in an attribute filter key',
    USERS,
    () => ({ f: { attribute: { key: `k${NUL}` } } }),
    'filter.attribute.key',
  ],
  [
    'lone surrogate in anyOf',
    USERS,
    () => ({ f: { attributes: [{ key: 'k', anyOf: ['a', `\udc00`] }] } }),
    'filter.attributes[0].anyOf[1]',
  ],
  ['NUL in a user id (user)', 'query($id: ID!) { user(id: $id) { id } }', () => ({ id: `usr_${NUL}` }), 'id'],
  ['NUL in a literal argument', `query { user(id: "usr_\\u0000") { id } }`, () => ({}), 'id'],
  [
    'NUL in listUsers workspaceId',
    'query($w: ID) { listUsers(workspaceId: $w) { id } }',
    () => ({ w: `ws${NUL}` }),
    'workspaceId',
  ],
  ['NUL in a group name', GROUP, () => ({ i: { name: `team${NUL}` } }), 'name'],
  [
    'NUL in a group id (addUsersToGroup)',
    ADD_TO_GROUP,
    (id) => ({ i: { groupId: `grp_${NUL}`, userIds: [id] } }),
    'groupId',
  ],
  [
    'NUL in impersonateUser email',
    IMPERSONATE,
    (_, key) => ({ k: key, e: `a${NUL}@h.test` }),
    'userEmail',
    true,
  ],
  [
    'lone surrogate in a session attribute',
    IMPERSONATE,
    (_, key) => ({ k: key, e: 'victim@h.test', a: [{ key: 'k', value: LONE }] }),
    'attributes[0].value',
    true,
  ],
];

/** The stable code and named fields of a refusal, whether a compat `status` or an error. */
function refusal(body: { data?: any; errors?: any[] }): { code: string; fields: string[] } {
  const payload = body.data ? Object.values(body.data)[0] : null;
  const status = (payload as { status?: any } | null)?.status;
  if (status) return { code: status.errorCode, fields: status.problems.map((p: any) => p.field) };
  const error = body.errors?.[0];
  return {
    code: error?.extensions?.code,
    fields: (error?.extensions?.problems ?? []).map((p: any) => p.field),
  };
}

for (const backend of testBackends()) {
  describe(`hostile input (${backend.name})`, () => {
    const t = useTestApp(backend);
    let victim = '';
    const ensureVictim = async () => {
      victim ||= (
        await createUsers(t(), { emails: ['victim@h.test'], userAttributes: [{ key: 'k', value: 'v' }] })
      ).payload.results[0]!.userId;
      return victim;
    };

    for (const [what, query, variables, field, anonymous] of textCases) {
      it(`text PostgreSQL cannot store is refused, naming the field: ${what}`, async () => {
        const id = await ensureVictim();
        const before = await counts(t());
        const r = await t().gql(query, variables(id, t().rootKey), anonymous ? null : t().rootKey);
        assert.ok(r.status < 500, `HTTP ${r.status}`);
        const { code, fields } = refusal(r.body);
        assert.equal(code, 'BAD_USER_INPUT', JSON.stringify(r.body));
        assert.ok(fields.includes(field), `${field} not in ${JSON.stringify(fields)}`);
        assert.deepEqual(await counts(t()), before);
      });
    }

    it('without a credential, bad text is still the one 401 (authentication comes first)', async () => {
      const before = await counts(t());
      const r = await t().gql(CREATE, { i: { emails: [`a${NUL}@h.test`] } }, null);
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, UNAUTHORIZED);
      assert.deepEqual(await counts(t()), before);
    });

    it('a forged users cursor carrying NUL is not a cursor', async () => {
      const after = Buffer.from(JSON.stringify([`a${NUL}`, 'usr_x'])).toString('base64url');
      const r = await t().gql(USERS, { after });
      assert.equal(r.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(r.body));
    });

    it('a lone surrogate is never stored as U+FFFD', async () => {
      await ensureVictim();
      const stored = await t()
        .app.services.db.selectFrom('user_attributes')
        .select('value')
        .where('value', 'like', '%\ufffd%')
        .execute();
      assert.deepEqual(stored, []);
    });

    /** [what, query, variables]: each a request limit, refused as 400 BAD_REQUEST before anything runs. */
    const limitCases: [string, () => string, () => Record<string, unknown>][] = [
      [
        'anyOf with 100,000 values',
        () => USERS,
        () => ({ f: { attribute: { key: 'k', anyOf: Array.from({ length: 100_000 }, (_, i) => `v${i}`) } } }),
      ],
      [
        'anyOf with 1001 values',
        () => USERS,
        () => ({ f: { attribute: { key: 'k', anyOf: Array.from({ length: 1001 }, (_, i) => `v${i}`) } } }),
      ],
      [
        '5000 attribute conditions',
        () => USERS,
        () => ({ f: { attributes: Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}`, value: 'v' })) } }),
      ],
      [
        '21 attribute conditions',
        () => USERS,
        () => ({ f: { attributes: Array.from({ length: 21 }, (_, i) => ({ key: `k${i}`, value: 'v' })) } }),
      ],
      [
        'a 3000-deep list literal',
        () =>
          `query { users(filter: { status: ${'['.repeat(3000)}ACTIVE${']'.repeat(3000)} }) { totalCount } }`,
        () => ({}),
      ],
      [
        'a 3000-deep object literal',
        () =>
          `query { users(filter: ${'{ attribute: '.repeat(1500)}null${' }'.repeat(1500)}) { totalCount } }`,
        () => ({}),
      ],
      [
        '1001 members added to a group at once',
        () => ADD_TO_GROUP,
        () => ({ i: { groupId: 'grp_x', userIds: Array.from({ length: 1001 }, (_, i) => `usr_${i}`) } }),
      ],
      [
        '1001 scopes in a literal',
        () =>
          `mutation { createUsers(input: { emails: ["l@h.test"], roleAssignments: [{ roleId: "x", scopes: [${Array.from({ length: 1001 }, (_, i) => `"s${i}"`).join(',')}] }] }) { status { code } } }`,
        () => ({}),
      ],
      [
        '30 aliased listUsers',
        () =>
          `query { ${Array.from({ length: 30 }, (_, i) => `l${i}: listUsers { id email name status roleAssignments { roleId scopes } userAttributes { key value source } }`).join(' ')} }`,
        () => ({}),
      ],
    ];
    for (const [what, query, variables] of limitCases) {
      it(`request limit: ${what} is 400 BAD_REQUEST and changes nothing`, async () => {
        await ensureVictim();
        const before = await counts(t());
        const r = await t().gql(query(), variables());
        assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
        assert.equal(r.body.data, undefined);
        assert.deepEqual(await counts(t()), before);
      });
    }

    it('a variable-free document gets the same verdict every time it comes back (refused, then accepted)', async () => {
      await ensureVictim();
      const costly = `query { ${Array.from({ length: 30 }, (_, i) => `l${i}: listUsers { id userAttributes { key value } }`).join(' ')} }`;
      const first = await t().gql(costly, {});
      const again = await t().gql(costly, {});
      assert.equal(again.status, 400);
      assert.equal(again.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
      assert.deepEqual(again.body, first.body);
      const fine = `{ users(first: 5) { edges { node { id } } } }`;
      for (let i = 0; i < 3; i++) assert.equal((await t().gql(fine, {})).status, 200);
    });

    it('a document with variables that passed is judged again when its variables can change the verdict', async () => {
      await ensureVictim();
      // An Int page size: the cost follows it.
      const paged = `query($n: Int, $a: String) { ${Array.from({ length: 30 }, (_, i) => `l${i}: users(first: $n, after: $a) { edges { node { id email name status userAttributes { key value } } } }`).join(' ')} }`;
      assert.equal((await t().gql(paged, { n: 1 })).status, 200);
      const costly = await t().gql(paged, { n: 500 });
      assert.equal(costly.status, 400, JSON.stringify(costly.body).slice(0, 300));
      assert.equal(costly.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
      // A list in an input object: its length is the variable's.
      assert.equal((await t().gql(USERS, { f: { attribute: { key: 'k', anyOf: ['v'] } } })).status, 200);
      const long = await t().gql(USERS, {
        f: { attribute: { key: 'k', anyOf: Array.from({ length: 1001 }, (_, i) => `v${i}`) } },
      });
      assert.equal(long.status, 400);
      assert.equal(long.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
      // Scalars only: the verdict is the same whatever the values, and stays a pass.
      const scalars = 'query($a: String, $s: Boolean!) { users(after: $a) { totalCount @include(if: $s) } }';
      for (const s of [true, false, true]) assert.equal((await t().gql(scalars, { s })).status, 200);
    });

    it('the limits themselves are accepted: 20 conditions, 1000 anyOf values, a full listUsers, a full page', async () => {
      await ensureVictim();
      const twenty = await t().gql(USERS, {
        f: {
          attributes: Array.from({ length: 20 }, () => ({
            key: 'k',
            anyOf: Array.from({ length: 50 }, (_, i) => (i ? `x${i}` : 'v')),
          })),
        },
      });
      assert.equal(twenty.status, 200, JSON.stringify(twenty.body));
      assert.equal(twenty.body.data!.users.totalCount, 1);
      const thousand = await t().gql(USERS, {
        f: { attribute: { key: 'k', anyOf: Array.from({ length: 1000 }, (_, i) => `v${i || ''}`) } },
      });
      assert.equal(thousand.body.data!.users.totalCount, 1, JSON.stringify(thousand.body));
      const full = await t().gql(`{ listUsers { ${USER_FIELDS} } }`);
      assert.equal(full.status, 200, JSON.stringify(full.body));
      const page = await t().gql(`{ users(first: 500) { edges { cursor node { ${USER_FIELDS} } } } }`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
    });
  });
}
