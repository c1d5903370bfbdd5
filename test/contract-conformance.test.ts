// A client written against the WisdomAI docs, sending the documented operations exactly as the
// docs write them, over real HTTP to a real server (docs/api-contract.md).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from '../src/server.ts';
import { rowCounts, type Status } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

const VIEWER = '00000000-0000-0000-0000-000000000003';
const ADMIN = '00000000-0000-0000-0000-000000000001';
const ORIGIN = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };

// The docs' own operation texts.
const CREATE_USERS =
  'mutation CreateUsers($input: CreateUsersInput!) { createUsers(input: $input) { status { code message } } }';
const SET_USER_ATTRIBUTES =
  'mutation SetUserAttributes($input: SetUserAttributesInput!) { setUserAttributes(input: $input) { status { code message } } }';
const LIST_USERS =
  'query ListUsers($workspaceId: ID) { listUsers(workspaceId: $workspaceId) { id email name profilePicture creationTimestamp lastActiveSessionTimestamp isScimManaged status roleAssignments { roleId scopes } userAttributes { key value source } } }';
const DELETE_USERS =
  'mutation DeleteUsersFromWorkspace($input: DeleteUsersFromWorkspaceInput!) { deleteUsersFromWorkspace(input: $input) { status { code message } } }';
const IMPERSONATE_MUTATION =
  'mutation ImpersonateUser($accessToken: String!, $userEmail: String!) { impersonateUser(accessToken: $accessToken, userEmail: $userEmail) }';
const IMPERSONATE_QUERY =
  'query Query($accessToken: String!, $userEmail: String!) { impersonateUser(accessToken: $accessToken, userEmail: $userEmail) }';

interface HttpResult {
  status: number;
  headers: Headers;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

for (const backend of testBackends()) {
  describe(`WisdomAI-docs client against Tessera over HTTP (${backend.name})`, () => {
    let t: TestApp;
    let server: RunningServer;
    const post = async (
      query: string,
      variables: Record<string, unknown> = {},
      token: string | null = t.rootKey,
    ): Promise<HttpResult> => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      assert.notEqual(response.status, 500, `500 for ${query}: ${text}`);
      return { status: response.status, headers: response.headers, body: JSON.parse(text) };
    };
    const create = async (input: Record<string, unknown>, token?: string | null) => {
      const r = await post(CREATE_USERS, { input }, token);
      return { ...r, status: r.body.data?.createUsers?.status as Status };
    };
    const setAttrs = async (userId: unknown, userAttributes: unknown, token?: string | null) => {
      const r = await post(SET_USER_ATTRIBUTES, { input: { userId, userAttributes } }, token);
      return { ...r, status: r.body.data?.setUserAttributes?.status as Status };
    };
    const list = async (workspaceId?: string, token?: string | null) => {
      const r = await post(LIST_USERS, workspaceId ? { workspaceId } : {}, token);
      return { ...r, users: r.body.data?.listUsers as any[] };
    };
    const remove = async (userIds: unknown, workspaceId?: string, token?: string | null) => {
      const r = await post(
        DELETE_USERS,
        { input: { userIds, ...(workspaceId ? { workspaceId } : {}) } },
        token,
      );
      return { ...r, status: r.body.data?.deleteUsersFromWorkspace?.status as Status };
    };
    const byEmail = async (email: string) =>
      (await list()).users.find((u) => u.email.toLowerCase() === email.toLowerCase());

    before(async () => {
      t = await startTestApp(backend, {
        env: { TESSERA_MAX_EMAILS_PER_CALL: '5', TESSERA_AUTH_FAILURES_PER_MINUTE: '1000' },
      });
      server = await startServer(t.app, { host: '127.0.0.1', port: 0 });
    });
    after(async () => {
      await server?.stop();
      await t?.close();
    });

    test('createUsers as in the lifecycle guide: OK, the user listed with the documented fields', async () => {
      const r = await create({
        emails: ['alice@yourcompany.com'],
        workspaceID: t.workspaceId,
        roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        sendWelcomeEmail: false,
        userAttributes: [{ key: 'account_id', value: 'acct_456' }],
      });
      assert.equal(r.status.code, 'OK', r.status.message);
      assert.equal(typeof r.status.message, 'string');
      const alice = await byEmail('alice@yourcompany.com');
      assert.ok(alice);
      assert.equal(alice.name, 'alice@yourcompany.com');
      assert.equal(alice.profilePicture, '');
      assert.match(alice.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.equal(alice.lastActiveSessionTimestamp, null);
      assert.equal(alice.isScimManaged, false);
      assert.equal(alice.status, 'ACTIVE');
      assert.deepEqual(alice.roleAssignments, [{ roleId: VIEWER, scopes: ['default'] }]);
      assert.deepEqual(alice.userAttributes, [{ key: 'account_id', value: 'acct_456', source: 'DATABASE' }]);
    });

    test('createUsers again for an existing email (other case, spaces) succeeds and re-applies only what is given', async () => {
      const before = await byEmail('alice@yourcompany.com');
      const r = await create({
        emails: ['  ALICE@YourCompany.com '],
        roleAssignments: [{ roleId: ADMIN, scopes: [] }],
      });
      assert.equal(r.status.code, 'OK', r.status.message);
      const users = (await list()).users.filter((u) => u.email.toLowerCase() === 'alice@yourcompany.com');
      assert.equal(users.length, 1);
      assert.equal(users[0].id, before.id);
      assert.deepEqual(users[0].roleAssignments, [{ roleId: ADMIN, scopes: [] }]);
      assert.deepEqual(users[0].userAttributes, before.userAttributes, 'attributes not given are left alone');
      // Idempotent: the same call again changes nothing.
      const counts = await rowCounts(t);
      assert.equal(
        (
          await create({
            emails: ['alice@yourcompany.com'],
            roleAssignments: [{ roleId: ADMIN, scopes: [] }],
          })
        ).status.code,
        'OK',
      );
      assert.deepEqual(await rowCounts(t), counts);
    });

    test('duplicates inside one call collapse; plus-addressed emails are distinct users', async () => {
      const r = await create({ emails: ['bob+t1@x.com', 'BOB+t1@x.com', 'bob+t2@x.com'] });
      assert.equal(r.status.code, 'OK', r.status.message);
      const bobs = (await list()).users.filter((u) => u.email.toLowerCase().startsWith('bob+'));
      assert.equal(bobs.length, 2);
    });

    test('createUsers with any invalid item writes nothing and names every bad item', async () => {
      const counts = await rowCounts(t);
      const bad: Record<string, unknown>[] = [
        { emails: ['good1@x.com', 'not-an-email'] },
        { emails: ['good1@x.com', ''] },
        { emails: [] },
        {
          emails: ['good1@x.com'],
          roleAssignments: [{ roleId: '00000000-0000-0000-0000-000000000099', scopes: ['default'] }],
        },
        { emails: ['good1@x.com'], roleAssignments: [{ roleId: VIEWER, scopes: [] }] },
        { emails: ['good1@x.com'], roleAssignments: [{ roleId: VIEWER, scopes: ['no-such-domain'] }] },
        { emails: ['good1@x.com'], roleAssignments: [{ roleId: 'not-a-uuid', scopes: ['default'] }] },
        { emails: ['good1@x.com'], userGroupIds: ['no-such-group'] },
        { emails: ['good1@x.com'], userAttributes: [{ key: '1bad', value: 'v' }] },
        { emails: ['good1@x.com'], userAttributes: [{ key: 'sub', value: 'v' }] },
        { emails: ['good1@x.com'], userAttributes: [{ key: 'impersonated_user_id', value: 'v' }] },
        {
          emails: ['good1@x.com'],
          userAttributes: [
            { key: 'k', value: 'a' },
            { key: 'k', value: 'b' },
          ],
        },
        { emails: ['good1@x.com'], userAttributes: [{ key: 'k', value: 'x'.repeat(4097) }] },
        {
          emails: ['good1@x.com'],
          userAttributes: Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: 'v' })),
        },
        { emails: ['a@x.com', 'b@x.com', 'c@x.com', 'd@x.com', 'e@x.com', 'f@x.com'] },
        { emails: ['good1@x.com'], workspaceID: 'no-such-workspace' },
      ];
      for (const input of bad) {
        const r = await create(input);
        assert.equal(
          r.status?.code,
          'ERROR',
          `${JSON.stringify(input).slice(0, 200)} → ${JSON.stringify(r.body)}`,
        );
        assert.ok(r.status.message.length > 0);
        assert.deepEqual(await rowCounts(t), counts, JSON.stringify(input).slice(0, 200));
      }
      assert.equal(await byEmail('good1@x.com'), undefined);
      // Every bad item is named.
      const two = await create({ emails: ['bad-one', 'fine@x.com', 'bad-two'] });
      assert.match(two.status.message, /bad-one/);
      assert.match(two.status.message, /bad-two/);
      const ws = await create({ emails: ['good1@x.com'], workspaceID: 'no-such-workspace' });
      assert.equal(ws.status.message, 'Workspace not found');
    });

    test('the email limit is exact: 5 distinct emails pass (6 fail, above)', async () => {
      const r = await create({ emails: ['l1@x.com', 'l2@x.com', 'l3@x.com', 'l4@x.com', 'l5@x.com'] });
      assert.equal(r.status.code, 'OK', r.status.message);
    });

    test('setUserAttributes replaces DATABASE attributes, [] clears, JWT ones are never touched', async () => {
      await create({ emails: ['carol@x.com'], userAttributes: [{ key: 'region', value: 'eu' }] });
      const carol = await byEmail('carol@x.com');
      await t.app.services.users.setJwtAttributes(
        t.workspaceId,
        carol.id,
        [
          { key: 'department', value: 'sales' },
          { key: 'region', value: 'apac' },
        ],
        ORIGIN,
      );
      const r = await setAttrs(carol.id, [
        { key: 'account_id', value: 'acct_456' },
        { key: 'region', value: 'us-west' },
      ]);
      assert.equal(r.status.code, 'OK', r.status.message);
      const sorted = (a: any[]) =>
        [...a].sort((x, y) => `${x.source}${x.key}`.localeCompare(`${y.source}${y.key}`));
      assert.deepEqual(sorted((await byEmail('carol@x.com')).userAttributes), [
        { key: 'account_id', value: 'acct_456', source: 'DATABASE' },
        { key: 'region', value: 'us-west', source: 'DATABASE' },
        { key: 'department', value: 'sales', source: 'JWT' },
        { key: 'region', value: 'apac', source: 'JWT' },
      ]);
      assert.equal((await setAttrs(carol.id, [])).status.code, 'OK');
      assert.deepEqual(sorted((await byEmail('carol@x.com')).userAttributes), [
        { key: 'department', value: 'sales', source: 'JWT' },
        { key: 'region', value: 'apac', source: 'JWT' },
      ]);
      // A bad input leaves everything as it was.
      await setAttrs(carol.id, [{ key: 'keep', value: '1' }]);
      const counts = await rowCounts(t);
      for (const attrs of [
        [
          { key: 'ok', value: '1' },
          { key: 'ok', value: '2' },
        ],
        [
          { key: 'ok', value: '1' },
          { key: 'exp', value: '2' },
        ],
        [{ key: 'a'.repeat(65), value: '1' }],
        [{ key: 'ok', value: 'x'.repeat(4097) }],
        Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: 'v' })),
      ]) {
        const bad = await setAttrs(carol.id, attrs);
        assert.equal(bad.status?.code, 'ERROR', JSON.stringify(bad.body).slice(0, 300));
        assert.deepEqual(await rowCounts(t), counts);
      }
      // The limits themselves are allowed: 100 keys, a 64-char key, a 4 KiB value.
      const edge = [
        { key: `a${'b'.repeat(63)}`, value: 'x'.repeat(4096) },
        ...Array.from({ length: 99 }, (_, i) => ({ key: `k${i}`, value: 'v' })),
      ];
      assert.equal((await setAttrs(carol.id, edge)).status.code, 'OK');
    });

    test('setUserAttributes on an unknown or other-workspace user is NOT_FOUND "User not found"', async () => {
      const other = await post(
        'mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { status { code message } workspace { id } } }',
        { input: { name: 'other' } },
      );
      const otherId = other.body.data.createWorkspace.workspace.id;
      const otherKey = await t.key(['iam:write', 'iam:read'], otherId);
      assert.equal((await create({ emails: ['dave@x.com'] }, otherKey)).status.code, 'OK');
      const dave = (await list(undefined, otherKey)).users.find((u) => u.email === 'dave@x.com');
      assert.equal(await byEmail('dave@x.com'), undefined, 'other workspace user not listed');
      // A key of the default workspace without site:admin: another workspace's ids do not exist.
      const writer = await t.key(['iam:read', 'iam:write']);
      for (const id of [
        dave.id,
        'user_abc123',
        '00000000-0000-0000-0000-000000000000',
        '',
        'x'.repeat(10_000),
      ]) {
        const r = await setAttrs(id, [{ key: 'k', value: 'v' }], writer);
        assert.deepEqual(
          r.status,
          { code: 'NOT_FOUND', message: 'User not found' },
          `${id.slice(0, 40)}: ${JSON.stringify(r.body)}`,
        );
        const d = await remove([id], undefined, writer);
        assert.equal(d.status?.code, 'NOT_FOUND', `${id.slice(0, 40)}: ${JSON.stringify(d.body)}`);
      }
      assert.equal((await list(undefined, otherKey)).users.length, 1);
      // Naming another workspace without site:admin is FORBIDDEN.
      const f = await list(t.workspaceId, otherKey);
      assert.equal(f.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const fc = await post(
        CREATE_USERS,
        { input: { emails: ['z@x.com'], workspaceID: t.workspaceId } },
        otherKey,
      );
      assert.equal(
        fc.body.errors?.[0]?.extensions?.code ?? fc.body.data?.createUsers?.status?.code,
        'FORBIDDEN',
      );
      const fd = await remove([dave.id], t.workspaceId, otherKey);
      assert.equal(fd.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      // Unknown workspace in listUsers: NOT_FOUND error.
      const nf = await list('no-such-workspace');
      assert.equal(nf.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    });

    test('listUsers is ordered by email', async () => {
      const emails = (await list()).users.map((u) => u.email);
      assert.deepEqual(
        emails,
        [...emails].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    });

    test('permissions per key: iam:read reads only, impersonate-only key cannot read, no key is 401', async () => {
      const reader = await t.key(['iam:read']);
      const imp = await t.key(['impersonate']);
      assert.ok((await list(undefined, reader)).users.length > 0);
      for (const token of [reader, imp]) {
        const r = await post(CREATE_USERS, { input: { emails: ['nope@x.com'] } }, token);
        assert.equal(r.status, 200);
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(r.body));
        assert.equal(r.body.data?.createUsers ?? null, null);
      }
      const s = await post(SET_USER_ATTRIBUTES, { input: { userId: 'x', userAttributes: [] } }, reader);
      assert.equal(s.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const d = await post(DELETE_USERS, { input: { userIds: ['x'] } }, reader);
      assert.equal(d.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const l = await list(undefined, imp);
      assert.equal(l.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      for (const token of [null, 'garbage', `${t.rootKey}x`]) {
        const r = await post(LIST_USERS, {}, token);
        assert.equal(r.status, 401);
        assert.equal(r.headers.get('www-authenticate')?.startsWith('Bearer'), true);
        assert.deepEqual(r.body, {
          errors: [{ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }],
          data: null,
        });
      }
      assert.equal(await byEmail('nope@x.com'), undefined);
    });

    test('impersonateUser works as mutation and as legacy query, with no Authorization header', async () => {
      await create({ emails: ['erin@x.com'], roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }] });
      const impKey = await t.key(['impersonate']);
      for (const q of [IMPERSONATE_MUTATION, IMPERSONATE_QUERY]) {
        const r = await post(q, { accessToken: impKey, userEmail: 'ERIN@x.com' }, null);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(typeof r.body.data?.impersonateUser, 'string', JSON.stringify(r.body));
        assert.equal(r.body.data.impersonateUser.split('.').length, 3);
      }
      const withAttrs = await post(
        'mutation($accessToken: String!, $userEmail: String!, $attributes: [UserAttributeInput!]) { impersonateUser(accessToken: $accessToken, userEmail: $userEmail, attributes: $attributes) }',
        { accessToken: impKey, userEmail: 'erin@x.com', attributes: [{ key: 'view', value: 'q3' }] },
        null,
      );
      assert.equal(typeof withAttrs.body.data?.impersonateUser, 'string', JSON.stringify(withAttrs.body));
      const erin = await byEmail('erin@x.com');
      assert.equal(erin.userAttributes.length, 0, 'transient attributes are not stored');
      assert.notEqual(erin.lastActiveSessionTimestamp, null);
      // Failures: an error with a code, never a token, never a 500.
      const reader = await t.key(['iam:read']);
      for (const [accessToken, userEmail] of [
        [impKey, 'nobody@x.com'],
        [reader, 'erin@x.com'],
        ['garbage', 'erin@x.com'],
        [impKey, ''],
        [impKey, 'x'.repeat(100_000)],
      ]) {
        const r = await post(IMPERSONATE_MUTATION, { accessToken, userEmail }, null);
        assert.ok(!r.body.data?.impersonateUser, JSON.stringify(r.body).slice(0, 300));
        assert.ok(r.body.errors?.[0]?.extensions?.code, JSON.stringify(r.body).slice(0, 300));
      }
      const reserved = await post(
        'mutation($accessToken: String!, $userEmail: String!, $attributes: [UserAttributeInput!]) { impersonateUser(accessToken: $accessToken, userEmail: $userEmail, attributes: $attributes) }',
        {
          accessToken: impKey,
          userEmail: 'erin@x.com',
          attributes: [{ key: 'impersonated_user_id', value: 'someone' }],
        },
        null,
      );
      assert.ok(!reserved.body.data?.impersonateUser, JSON.stringify(reserved.body));
    });

    test('deleteUsersFromWorkspace is atomic, ends sessions and leaves others alone', async () => {
      await create({ emails: ['f1@x.com', 'f2@x.com'], userAttributes: [{ key: 'a', value: 'b' }] });
      const f1 = await byEmail('f1@x.com');
      const f2 = await byEmail('f2@x.com');
      const impKey = await t.key(['impersonate']);
      const session = (await post(IMPERSONATE_MUTATION, { accessToken: impKey, userEmail: 'f1@x.com' }, null))
        .body.data.impersonateUser;
      const me = await post('{ currentUser { email } }', {}, session);
      assert.equal(me.body.data?.currentUser?.email, 'f1@x.com');
      const counts = await rowCounts(t);
      const partial = await remove([f1.id, 'no-such-id']);
      assert.equal(partial.status.code, 'NOT_FOUND');
      assert.deepEqual(await rowCounts(t), counts);
      const dup = await remove([f1.id, f1.id]);
      assert.equal(dup.status.code, 'OK', dup.status.message);
      assert.equal(await byEmail('f1@x.com'), undefined);
      assert.ok(await byEmail('f2@x.com'));
      const after = await post('{ currentUser { email } }', {}, session);
      assert.equal(after.status, 401);
      // Deleting again: NOT_FOUND, not a 500; empty list: a clear answer.
      assert.equal((await remove([f1.id])).status.code, 'NOT_FOUND');
      const empty = await remove([]);
      assert.ok(empty.status?.code ?? empty.body.errors?.[0]?.extensions?.code);
      // The same email can be created again as a new user.
      assert.equal((await create({ emails: ['f1@x.com'] })).status.code, 'OK');
      assert.notEqual((await byEmail('f1@x.com')).id, f1.id);
      assert.ok(f2);
    });

    test('selecting only { status } is a 400 BAD_REQUEST, not a 500', async () => {
      const r = await post('mutation($input: CreateUsersInput!) { createUsers(input: $input) { status } }', {
        input: { emails: ['q@x.com'] },
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
    });

    test("another workspace's groups and domains are unknown to createUsers; nothing written", async () => {
      const other = await post(
        'mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id } } }',
        { input: { name: 'other2' } },
      );
      const otherId = other.body.data.createWorkspace.workspace.id;
      const g = await post(
        'mutation($input: CreateUserGroupInput!) { createUserGroup(input: $input) { status { code message } userGroup { id } } }',
        { input: { workspaceId: otherId, name: 'foreign' } },
      );
      const foreignGroup = g.body.data.createUserGroup.userGroup.id;
      const writer = await t.key(['iam:read', 'iam:write']);
      const counts = await rowCounts(t);
      const r = await create({ emails: ['g1@x.com'], userGroupIds: [foreignGroup] }, writer);
      assert.equal(r.status.code, 'ERROR', JSON.stringify(r.body));
      assert.deepEqual(await rowCounts(t), counts);
    });

    test('attribute limits: values are measured in bytes, keys by the documented pattern', async () => {
      await create({ emails: ['h@x.com'] });
      const h = await byEmail('h@x.com');
      const counts = await rowCounts(t);
      for (const attrs of [
        [{ key: 'k', value: '€'.repeat(1366) }],
        [{ key: 'k\n', value: 'v' }],
        [{ key: '-k', value: 'v' }],
        [{ key: 'ké', value: 'v' }],
        [{ key: '', value: 'v' }],
        [{ key: 'SUB', value: 'v' }],
        [{ key: 'Email', value: 'v' }],
      ]) {
        const r = await setAttrs(h.id, attrs);
        assert.equal(
          r.status?.code,
          'ERROR',
          `${JSON.stringify(attrs).slice(0, 80)} → ${JSON.stringify(r.body).slice(0, 300)}`,
        );
        assert.deepEqual(await rowCounts(t), counts);
      }
      assert.equal((await setAttrs(h.id, [{ key: 'a:b.c-d_e', value: '€'.repeat(1365) }])).status.code, 'OK');
    });

    test('users: cursor pages cover every user once, in email order, with a total', async () => {
      const all = (await list()).users.map((u) => u.email);
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const r = await post(
          'query($after: String) { users(first: 3, after: $after) { totalCount edges { cursor node { email } } pageInfo { hasNextPage endCursor } } }',
          { after },
        );
        const page = r.body.data?.users;
        assert.ok(page, JSON.stringify(r.body));
        assert.equal(page.totalCount, all.length);
        seen.push(...page.edges.map((e: any) => e.node.email));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      assert.deepEqual(seen, all);
      for (const [first, cursor] of [
        [0, null],
        [-1, null],
        [501, null],
        [3, 'garbage'],
        [3, '\u0000'],
        [2 ** 31 - 1, null],
      ] as const) {
        const r = await post(
          'query($first: Int, $after: String) { users(first: $first, after: $after) { edges { node { id } } } }',
          { first, after: cursor },
        );
        const code = r.body.errors?.[0]?.extensions?.code;
        // Above the page size, a page is clamped to 500 (a Relay server's choice), never an error.
        if ((first === 0 || first > 500) && !code) {
          assert.ok(r.body.data.users.edges.length <= 500);
          continue;
        }
        assert.ok(
          code && code !== 'INTERNAL_SERVER_ERROR',
          `${first} ${cursor} → ${JSON.stringify(r.body).slice(0, 300)}`,
        );
      }
      const byPrefix = await post('{ users(filter: { emailPrefix: "BOB+" }) { totalCount } }');
      assert.equal(byPrefix.body.data?.users?.totalCount, 2, JSON.stringify(byPrefix.body));
      for (const prefix of ['%', '_', '\\']) {
        const r = await post('query($p: String) { users(filter: { emailPrefix: $p }) { totalCount } }', {
          p: prefix,
        });
        assert.equal(r.body.data?.users?.totalCount, 0, `${prefix}: ${JSON.stringify(r.body)}`);
      }
    });

    test('concurrent createUsers for one email make exactly one user; concurrent setUserAttributes never mix', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => create({ emails: ['race@x.com'] })));
      for (const r of results) assert.equal(r.status.code, 'OK', r.status.message);
      assert.equal((await list()).users.filter((u) => u.email === 'race@x.com').length, 1);
      const race = await byEmail('race@x.com');
      const inputs = Array.from({ length: 6 }, (_, i) =>
        Array.from({ length: 5 }, (_, j) => ({ key: `k${j}`, value: `v${i}` })),
      );
      await Promise.all(inputs.map((a) => setAttrs(race.id, a)));
      const values = new Set((await byEmail('race@x.com')).userAttributes.map((a: any) => a.value));
      assert.equal(values.size, 1);
    });

    test('deleteUsersFromWorkspace with an unknown workspace is ERROR "Workspace not found"; the email stored as given, matched in any case', async () => {
      const d = await remove(['x'], 'no-such-workspace');
      assert.deepEqual(
        [d.status?.code, d.status?.message],
        ['ERROR', 'Workspace not found'],
        JSON.stringify(d.body),
      );
      await create({ emails: ['Mixed.Case@Example.COM'] });
      const r = await create({ emails: ['mixed.case@example.com'] });
      assert.equal(r.status.code, 'OK');
      assert.equal(
        (await list()).users.filter((u) => u.email.toLowerCase() === 'mixed.case@example.com').length,
        1,
      );
    });

    test('a createUsers call with one bad item does not touch the existing users it names', async () => {
      await create({
        emails: ['keep@x.com'],
        roleAssignments: [{ roleId: ADMIN, scopes: [] }],
        userAttributes: [{ key: 'a', value: '1' }],
      });
      const before = await byEmail('keep@x.com');
      const r = await create({
        emails: ['keep@x.com', 'broken'],
        roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        userAttributes: [{ key: 'b', value: '2' }],
      });
      assert.equal(r.status.code, 'ERROR');
      assert.deepEqual(await byEmail('keep@x.com'), before);
      // On an existing user, given userAttributes replace the DATABASE ones only.
      await t.app.services.users.setJwtAttributes(
        t.workspaceId,
        before.id,
        [{ key: 'sso', value: 'yes' }],
        ORIGIN,
      );
      assert.equal(
        (await create({ emails: ['KEEP@x.com'], userAttributes: [{ key: 'b', value: '2' }] })).status.code,
        'OK',
      );
      const attrs = (await byEmail('keep@x.com')).userAttributes
        .map((a: any) => `${a.source}:${a.key}=${a.value}`)
        .sort();
      assert.deepEqual(attrs, ['DATABASE:b=2', 'JWT:sso=yes']);
    });

    test('emails are stored trimmed', async () => {
      assert.equal((await create({ emails: ['  trim@x.com\t'] })).status.code, 'OK');
      assert.ok((await list()).users.some((u) => u.email === 'trim@x.com'));
    });

    test('tokens are never accepted in place of one another', async () => {
      const reader = await t.key(['iam:read', 'impersonate']);
      const ex = await post(
        'query($accessToken: String!) { exchangeAccessToken(accessToken: $accessToken) }',
        { accessToken: reader },
        null,
      );
      const apiJwt = ex.body.data?.exchangeAccessToken;
      assert.equal(typeof apiJwt, 'string', JSON.stringify(ex.body));
      assert.ok((await list(undefined, apiJwt)).users.length > 0);
      await create({ emails: ['tok@x.com'] });
      const session = (
        await post(IMPERSONATE_MUTATION, { accessToken: reader, userEmail: 'tok@x.com' }, null)
      ).body.data.impersonateUser;
      // A session JWT has no iam permission.
      const asSession = await list(undefined, session);
      assert.ok(asSession.body.errors?.[0]?.extensions?.code, JSON.stringify(asSession.body));
      assert.equal(asSession.body.data?.listUsers ?? null, null);
      // Neither JWT is an access key.
      for (const accessToken of [apiJwt, session]) {
        const i = await post(IMPERSONATE_MUTATION, { accessToken, userEmail: 'tok@x.com' }, null);
        assert.ok(!i.body.data?.impersonateUser, JSON.stringify(i.body).slice(0, 200));
        const e = await post(
          'query($accessToken: String!) { exchangeAccessToken(accessToken: $accessToken) }',
          { accessToken },
          null,
        );
        assert.ok(!e.body.data?.exchangeAccessToken, JSON.stringify(e.body).slice(0, 200));
      }
      // The key itself is not a session.
      const me = await post('{ currentUser { email } }', {}, reader);
      assert.equal(me.body.data?.currentUser, null);
    });

    test('impersonateUser refuses bad transient attributes and users of other workspaces', async () => {
      await create({ emails: ['ia@x.com'] });
      const impKey = await t.key(['impersonate']);
      const q =
        'mutation($accessToken: String!, $userEmail: String!, $attributes: [UserAttributeInput!]) { impersonateUser(accessToken: $accessToken, userEmail: $userEmail, attributes: $attributes) }';
      for (const attributes of [
        [{ key: '1x', value: 'v' }],
        [
          { key: 'k', value: 'a' },
          { key: 'k', value: 'b' },
        ],
        [{ key: 'k', value: 'x'.repeat(4097) }],
        [{ key: 'workspace_id', value: 'other' }],
        [{ key: 'email', value: 'boss@x.com' }],
      ]) {
        const r = await post(q, { accessToken: impKey, userEmail: 'ia@x.com', attributes }, null);
        assert.ok(!r.body.data?.impersonateUser, JSON.stringify(attributes).slice(0, 80));
        const code = r.body.errors?.[0]?.extensions?.code;
        assert.ok(code && code !== 'INTERNAL_SERVER_ERROR', JSON.stringify(r.body).slice(0, 300));
      }
      const r = await post(IMPERSONATE_MUTATION, { accessToken: impKey, userEmail: 'dave@x.com' }, null);
      assert.ok(!r.body.data?.impersonateUser, 'a user of another workspace is not found');
    });

    test('GET never runs a mutation', async () => {
      const url = `${server.url}/graphql?query=${encodeURIComponent('mutation { createUsers(input: { emails: ["get@x.com"] }) { status { code } } }')}`;
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${t.rootKey}`, accept: 'application/json' },
      });
      await response.text();
      assert.equal(response.status, 405);
      assert.equal(await byEmail('get@x.com'), undefined);
    });

    test('listUsers and users pages agree on one email order, whatever the backend', async () => {
      for (const emails of [
        ['a.b@o.com', 'a+b@o.com', 'ab@o.com', 'A_c@o.com'],
        ['a-b@o.com', 'Ab@o.co', 'a~b@o.com'],
      ]) {
        const c = await create({ emails });
        assert.equal(c.status.code, 'OK', c.status.message);
      }
      const emails = (await list()).users.map((u) => u.email);
      const paged: string[] = [];
      let after: string | null = null;
      for (;;) {
        const r = await post(
          'query($after: String) { users(first: 4, after: $after) { edges { node { email } } pageInfo { hasNextPage endCursor } } }',
          { after },
        );
        paged.push(...r.body.data.users.edges.map((e: any) => e.node.email));
        if (!r.body.data.users.pageInfo.hasNextPage) break;
        after = r.body.data.users.pageInfo.endCursor;
      }
      assert.deepEqual(paged, emails);
      const key = (e: string) => e.toLowerCase();
      const expected = [...emails].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      assert.deepEqual(emails, expected, 'ordered by email, case-insensitively, code point order');
    });

    test('repeated roles, scopes and groups in one input are never a 500 and never stored twice', async () => {
      const g = await post(
        'mutation($input: CreateUserGroupInput!) { createUserGroup(input: $input) { userGroup { id } } }',
        { input: { name: 'dups' } },
      );
      const group = g.body.data.createUserGroup.userGroup.id;
      for (const input of [
        {
          emails: ['dup1@x.com'],
          roleAssignments: [
            { roleId: VIEWER, scopes: ['default'] },
            { roleId: VIEWER, scopes: ['default'] },
          ],
        },
        { emails: ['dup2@x.com'], roleAssignments: [{ roleId: VIEWER, scopes: ['default', 'default'] }] },
        { emails: ['dup3@x.com'], userGroupIds: [group, group] },
        {
          emails: ['dup4@x.com'],
          roleAssignments: [
            { roleId: ADMIN, scopes: [] },
            { roleId: ADMIN, scopes: ['default'] },
          ],
        },
      ]) {
        const r = await create(input);
        assert.ok(
          ['OK', 'ERROR'].includes(r.status?.code),
          `${JSON.stringify(input)} → ${JSON.stringify(r.body)}`,
        );
        const u = await byEmail(input.emails[0] as string);
        if (r.status.code === 'ERROR') assert.equal(u, undefined);
        else {
          const keys = u.roleAssignments.map((a: any) => `${a.roleId}:${[...a.scopes].sort().join(',')}`);
          assert.equal(new Set(keys).size, keys.length, JSON.stringify(u.roleAssignments));
          for (const a of u.roleAssignments) assert.equal(new Set(a.scopes).size, a.scopes.length);
        }
        // And again on the now-existing user.
        const again = await create(input);
        assert.ok(['OK', 'ERROR'].includes(again.status?.code), JSON.stringify(again.body));
      }
      const big = await remove(Array.from({ length: 100_000 }, (_, i) => `id${i}`));
      const code = big.status?.code ?? big.body.errors?.[0]?.extensions?.code;
      assert.ok(
        code && code !== 'OK' && code !== 'INTERNAL_SERVER_ERROR',
        JSON.stringify(big.body).slice(0, 300),
      );
    });

    test('createUsers results say what happened to each distinct email', async () => {
      const q =
        'mutation($input: CreateUsersInput!) { createUsers(input: $input) { status { code message } results { email userId outcome } users { id email } } }';
      const first = await post(q, {
        input: {
          emails: ['res1@x.com', 'RES1@x.com', 'res2@x.com'],
          userAttributes: [{ key: 'a', value: '1' }],
        },
      });
      const r1 = first.body.data.createUsers;
      assert.equal(r1.status.code, 'OK');
      assert.deepEqual(r1.results.map((r: any) => r.outcome).sort(), ['CREATED', 'CREATED']);
      assert.equal(r1.users.length, 2);
      const again = (
        await post(q, {
          input: { emails: ['res1@x.com', 'res2@x.com'], userAttributes: [{ key: 'a', value: '1' }] },
        })
      ).body.data.createUsers;
      assert.deepEqual(
        again.results.map((r: any) => r.outcome),
        ['UNCHANGED', 'UNCHANGED'],
      );
      const changed = (
        await post(q, { input: { emails: ['res1@x.com'], userAttributes: [{ key: 'a', value: '2' }] } })
      ).body.data.createUsers;
      assert.deepEqual(
        changed.results.map((r: any) => r.outcome),
        ['UPDATED'],
      );
      const ids = new Set(r1.results.map((r: any) => r.userId));
      for (const r of [...again.results, ...changed.results]) assert.ok(ids.has(r.userId));
    });

    test('emails that are not addresses are refused', async () => {
      const counts = await rowCounts(t);
      for (const email of [
        'a@@x.com',
        '@x.com',
        'a@',
        'a@x..com',
        'a@.x.com',
        '.a@x.com',
        'a<b>@x.com',
        `${'a'.repeat(250)}@x.com`,
        'a@x.com,b@x.com',
        '"a"@x.com\n',
      ]) {
        const r = await create({ emails: [email] });
        assert.equal(r.status?.code, 'ERROR', `${email} → ${JSON.stringify(r.body)}`);
        assert.deepEqual(await rowCounts(t), counts);
      }
    });

    test('a suspended, inactive or deleted user cannot be impersonated; reactivated they can', async () => {
      await create({ emails: ['sus@x.com'] });
      const sus = await byEmail('sus@x.com');
      const impKey = await t.key(['impersonate']);
      const setStatus = (status: string) =>
        post(
          'mutation($input: SetUserStatusInput!) { setUserStatus(input: $input) { status { code message } } }',
          { input: { userId: sus.id, status } },
        );
      for (const status of ['SUSPENDED', 'INACTIVE']) {
        assert.equal((await setStatus(status)).body.data.setUserStatus.status.code, 'OK');
        const r = await post(IMPERSONATE_MUTATION, { accessToken: impKey, userEmail: 'sus@x.com' }, null);
        assert.ok(!r.body.data?.impersonateUser, `${status}: ${JSON.stringify(r.body).slice(0, 200)}`);
      }
      assert.equal((await setStatus('ACTIVE')).body.data.setUserStatus.status.code, 'OK');
      const ok = await post(IMPERSONATE_MUTATION, { accessToken: impKey, userEmail: 'sus@x.com' }, null);
      assert.equal(typeof ok.body.data?.impersonateUser, 'string', JSON.stringify(ok.body));
      const del = await setStatus('DELETED');
      const code = del.body.data?.setUserStatus?.status?.code ?? del.body.errors?.[0]?.extensions?.code;
      assert.ok(code && code !== 'INTERNAL_SERVER_ERROR', JSON.stringify(del.body));
    });

    test('an empty roleAssignments list clears direct roles; welcome emails never fail the call with a 500', async () => {
      await create({ emails: ['clr@x.com'], roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }] });
      assert.equal((await create({ emails: ['clr@x.com'], roleAssignments: [] })).status.code, 'OK');
      assert.deepEqual((await byEmail('clr@x.com')).roleAssignments, []);
      const w = await create({ emails: ['welcome@x.com'], sendWelcomeEmail: true });
      assert.ok(['OK', 'ERROR'].includes(w.status?.code), JSON.stringify(w.body));
    });

    test('site:admin names another workspace in listUsers, createUsers and deleteUsersFromWorkspace', async () => {
      const other = await post(
        'mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id } } }',
        { input: { name: 'third' } },
      );
      const ws = other.body.data.createWorkspace.workspace.id;
      assert.equal((await create({ emails: ['third@x.com'], workspaceID: ws })).status.code, 'OK');
      const there = await list(ws);
      assert.deepEqual(
        there.users.map((u) => u.email),
        ['third@x.com'],
      );
      assert.equal(await byEmail('third@x.com'), undefined);
      // An id of that workspace, deleted while naming the own workspace: NOT_FOUND.
      assert.equal((await remove([there.users[0].id])).status.code, 'NOT_FOUND');
      assert.equal((await remove([there.users[0].id], ws)).status.code, 'OK');
      assert.deepEqual((await list(ws)).users, []);
    });

    test('malformed requests: every error carries a code, none is a 500', async () => {
      const raw = async (
        body: string,
        contentType = 'application/json',
        token: string | null = t.rootKey,
      ) => {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body,
        });
        const text = await response.text();
        assert.ok(response.status < 500, `${body.slice(0, 80)} → ${response.status} ${text}`);
        return { status: response.status, text };
      };
      const bodies = [
        '{',
        '[]',
        'null',
        '"x"',
        '{}',
        JSON.stringify({ query: 5 }),
        JSON.stringify({ query: '{ listUsers { id } }', variables: 'x' }),
        JSON.stringify({ query: '{ listUsers { id } }', operationName: 5 }),
        JSON.stringify({ query: '{ listUsers { id } }', operationName: 'Nope' }),
        JSON.stringify({ query: '{ listUsers { nope } }' }),
        JSON.stringify({ query: CREATE_USERS, variables: { input: { emails: 5 } } }),
        JSON.stringify({ query: CREATE_USERS, variables: {} }),
        JSON.stringify({
          query: CREATE_USERS,
          variables: { input: { emails: ['a@x.com'], sendWelcomeEmail: 'yes' } },
        }),
        JSON.stringify({ query: 'query A { listUsers { id } } query B { listUsers { id } }' }),
        JSON.stringify({
          query: `{ ${'listUsers { id } '.repeat(1)}${'a: listUsers { id } '.repeat(0)} }`,
          extensions: 'x',
        }),
      ];
      for (const body of bodies) {
        const r = await raw(body);
        if (r.status === 200 && !r.text.includes('"errors"')) continue;
        const parsed = JSON.parse(r.text);
        for (const e of parsed.errors ?? [])
          assert.ok(e.extensions?.code, `${body.slice(0, 80)} → ${r.text}`);
      }
      for (const body of bodies.slice(0, 6)) {
        const r = await raw(body, 'application/json', null);
        assert.ok([400, 401].includes(r.status), `${body} unauthenticated → ${r.status} ${r.text}`);
      }
      const plain = await raw(JSON.stringify({ query: '{ listUsers { id } }' }), 'text/plain');
      assert.ok([400, 415].includes(plain.status), plain.text);
    });

    test('groups: userGroupIds are added, direct roles replaced while inherited ones stay, deletion leaves no member', async () => {
      const mk = async (name: string, roleAssignments?: unknown) =>
        (
          await post(
            'mutation($input: CreateUserGroupInput!) { createUserGroup(input: $input) { userGroup { id } } }',
            {
              input: { name, ...(roleAssignments ? { roleAssignments } : {}) },
            },
          )
        ).body.data.createUserGroup.userGroup.id as string;
      const g1 = await mk('g-one', [{ roleId: VIEWER, scopes: ['default'] }]);
      const g2 = await mk('g-two');
      await create({
        emails: ['grp@x.com'],
        userGroupIds: [g1],
        roleAssignments: [{ roleId: ADMIN, scopes: [] }],
      });
      assert.equal(
        (await create({ emails: ['grp@x.com'], userGroupIds: [g2], roleAssignments: [] })).status.code,
        'OK',
      );
      const r = await post(
        '{ listUsers { email userGroups { id } roleAssignments { roleId scopes inheritedFromGroupId } } }',
      );
      const u = r.body.data.listUsers.find((x: any) => x.email === 'grp@x.com');
      assert.deepEqual(u.userGroups.map((g: any) => g.id).sort(), [g1, g2].sort());
      assert.deepEqual(u.roleAssignments, [
        { roleId: VIEWER, scopes: ['default'], inheritedFromGroupId: g1 },
      ]);
      const id = (await byEmail('grp@x.com')).id;
      assert.equal((await remove([id])).status.code, 'OK');
      const members = await post('{ userGroups { id members { id } } }');
      for (const g of members.body.data.userGroups) assert.ok(!g.members.some((m: any) => m.id === id));
    });

    test('a refused impersonation key gets one body whatever the reason (no oracle)', async () => {
      await create({ emails: ['oracle@x.com'] });
      const reader = await t.key(['iam:read']);
      const keyId = reader.split('_')[1];
      const bodies = new Set<string>();
      for (const accessToken of [
        reader,
        `tsk_${keyId}_${'A'.repeat(43)}`,
        `tsk_nokeyid_${'A'.repeat(43)}`,
        'garbage',
        '',
      ]) {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: IMPERSONATE_MUTATION,
            variables: { accessToken, userEmail: 'oracle@x.com' },
          }),
        });
        bodies.add(`${response.status} ${await response.text()}`);
      }
      assert.equal(bodies.size, 1, [...bodies].join('\n'));
    });

    test('the per-source limit counts each source alone; name follows display_name', async () => {
      await create({ emails: ['many@x.com'] });
      const u = await byEmail('many@x.com');
      const hundred = Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
      await t.app.services.users.setJwtAttributes(t.workspaceId, u.id, hundred, ORIGIN);
      const r = await setAttrs(u.id, [...hundred.slice(1), { key: 'display_name', value: 'Alice Smith' }]);
      assert.equal(r.status.code, 'OK', r.status.message);
      const after = await byEmail('many@x.com');
      assert.equal(after.userAttributes.length, 200);
      assert.equal(after.name, 'Alice Smith');
      assert.equal((await setAttrs(u.id, [])).status.code, 'OK');
      assert.equal((await byEmail('many@x.com')).name, 'many@x.com');
    });

    test('impersonateUser matches the email as createUsers does: any case, trimmed', async () => {
      await create({ emails: ['Trimmed.Case@X.com'] });
      const impKey = await t.key(['impersonate']);
      for (const userEmail of ['  trimmed.case@x.com ', 'TRIMMED.CASE@X.COM', '\ttrimmed.case@x.com']) {
        const r = await post(IMPERSONATE_QUERY, { accessToken: impKey, userEmail }, null);
        assert.equal(
          typeof r.body.data?.impersonateUser,
          'string',
          `${JSON.stringify(userEmail)} → ${JSON.stringify(r.body)}`,
        );
      }
    });

    test('racing overlapping createUsers, setUserAttributes and deletes: every answer a status, never a 500', async () => {
      const emails = ['r1@x.com', 'r2@x.com', 'r3@x.com', 'r4@x.com', 'r5@x.com'];
      const orders = [
        emails,
        [...emails].reverse(),
        [emails[2], emails[0], emails[4], emails[1], emails[3]],
      ] as string[][];
      const calls = Array.from({ length: 9 }, (_, i) =>
        create({
          emails: orders[i % 3],
          userAttributes: [{ key: 'round', value: String(i) }],
          roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        }),
      );
      for (const r of await Promise.all(calls)) assert.equal(r.status?.code, 'OK', JSON.stringify(r.body));
      const users = (await list()).users.filter((u) => emails.includes(u.email));
      assert.equal(users.length, 5);
      const ids = users.map((u) => u.id);
      const mixed = await Promise.all([
        remove(ids.slice(0, 3)),
        remove([...ids.slice(0, 3)].reverse()),
        ...ids.map((id) => setAttrs(id, [{ key: 'x', value: 'y' }])),
        create({ emails }),
      ]);
      for (const r of mixed) assert.ok(['OK', 'NOT_FOUND'].includes(r.status?.code), JSON.stringify(r.body));
    });

    test('GET serves plain queries but never takes an access key in the URL', async () => {
      const get = async (query: string, variables: Record<string, unknown>, token: string | null) => {
        const url = `${server.url}/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`;
        const response = await fetch(url, {
          headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        });
        return { status: response.status, body: JSON.parse(await response.text()) };
      };
      const l = await get('{ listUsers { id } }', {}, t.rootKey);
      assert.equal(l.status, 200);
      assert.ok(Array.isArray(l.body.data?.listUsers));
      await create({ emails: ['getimp@x.com'] });
      const impKey = await t.key(['impersonate']);
      for (const query of [
        IMPERSONATE_QUERY,
        'query($accessToken: String!) { exchangeAccessToken(accessToken: $accessToken) }',
        'query($accessToken: String!, $userEmail: String!) { ...F } fragment F on Query { impersonateUser(accessToken: $accessToken, userEmail: $userEmail) }',
      ]) {
        const r = await get(query, { accessToken: impKey, userEmail: 'getimp@x.com' }, null);
        assert.equal(r.status, 405, JSON.stringify(r.body).slice(0, 300));
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
        assert.ok(!r.body.data);
      }
      assert.equal((await byEmail('getimp@x.com')).lastActiveSessionTimestamp, null);
    });

    test('createUsers on an existing user: userAttributes [] clears the DATABASE ones, JWT ones stay', async () => {
      await create({ emails: ['empt@x.com'], userAttributes: [{ key: 'a', value: '1' }] });
      const u = await byEmail('empt@x.com');
      await t.app.services.users.setJwtAttributes(t.workspaceId, u.id, [{ key: 'j', value: '2' }], ORIGIN);
      assert.equal((await create({ emails: ['empt@x.com'], userAttributes: [] })).status.code, 'OK');
      assert.deepEqual((await byEmail('empt@x.com')).userAttributes, [
        { key: 'j', value: '2', source: 'JWT' },
      ]);
    });

    test('hostile shapes of the documented variables are errors with codes, never 500', async () => {
      const inputs: unknown[] = [
        null,
        'string',
        { emails: [null] },
        { emails: [1] },
        { emails: ['\u0000@x.com'] },
        { emails: ['a@x.com'], roleAssignments: [{ roleId: VIEWER, scopes: ['\u0000'] }] },
        { emails: ['a@x.com'], userAttributes: [{ key: 'k', value: '\u0000' }] },
        { emails: ['a@x.com'], userAttributes: [{ key: 'k', value: '\ud800' }] },
        { emails: [`${'a'.repeat(300)}@x.com`] },
        { emails: ['a@x.com'], workspaceID: '\u0000' },
        { emails: ['a@x.com'], userGroupIds: ['\u0000'] },
        { emails: ['a@x.com'], unknownField: 1 },
      ];
      const counts = await rowCounts(t);
      for (const input of inputs) {
        const r = await post(CREATE_USERS, { input });
        const code = r.body.data?.createUsers?.status?.code ?? r.body.errors?.[0]?.extensions?.code;
        assert.ok(
          code && code !== 'OK' && code !== 'INTERNAL_SERVER_ERROR',
          `${JSON.stringify(input)} → ${JSON.stringify(r.body)}`,
        );
        assert.deepEqual(await rowCounts(t), counts, JSON.stringify(input));
      }
      for (const userId of ['\u0000', '\ud800', 'a'.repeat(100_000)]) {
        const r = await setAttrs(userId, []);
        assert.ok(['NOT_FOUND', 'ERROR'].includes(r.status?.code), JSON.stringify(r.body).slice(0, 300));
      }
      for (const ws of ['\u0000', '\ud800']) {
        const r = await list(ws);
        const code = r.body.errors?.[0]?.extensions?.code;
        assert.ok(code && code !== 'INTERNAL_SERVER_ERROR', JSON.stringify(r.body));
      }
    });
  });
}
