import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunningServer, startServer } from '../src/server.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

// SCIM 2.0 attacked from outside: real HTTP to a real server on loopback, as Okta, Entra and a
// hostile client send it. Every refusal must be a SCIM error body and leave the stored rows as
// they were (compared row by row, not counted).

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const TESSERA = 'urn:ietf:params:scim:schemas:extension:tessera:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const NO_ORIGIN = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };

interface Answer {
  status: number;
  contentType: string | null;
  body: any;
}

type Op = { op: string; path?: string; value?: unknown };
const patchBody = (...ops: Op[]) => ({ schemas: [PATCH], Operations: ops });

/** Every row a SCIM request may write, in a fixed order: a refused request must leave it equal. */
async function snapshot(t: TestApp): Promise<Record<string, unknown[]>> {
  const db = t.app.services.db;
  const rows = async (table: string, order: string[]) => {
    let query = db.selectFrom(table as never).selectAll();
    for (const column of order) query = query.orderBy(column as never);
    return (await query.execute()) as unknown[];
  };
  return {
    users: await rows('users', ['id']),
    user_attributes: await rows('user_attributes', ['user_id', 'key', 'source']),
    user_groups: await rows('user_groups', ['id']),
    group_members: await rows('group_members', ['group_id', 'user_id']),
    scim_users: await rows('scim_users', ['user_id']),
    scim_groups: await rows('scim_groups', ['group_id']),
  };
}

function assertScimError(r: Answer, status: number, scimType?: string) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(r.contentType ?? '', /^application\/scim\+json/);
  assert.deepEqual(r.body.schemas, [ERROR]);
  assert.equal(r.body.status, String(status));
  if (scimType !== undefined) assert.equal(r.body.scimType, scimType, JSON.stringify(r.body));
  assert.equal(typeof r.body.detail, 'string');
}

for (const backend of testBackends()) {
  describe(`SCIM attacked over HTTP (${backend.name})`, () => {
    let t: TestApp;
    let server: RunningServer;
    let key: string;
    let keyB: string;

    before(async () => {
      t = await startTestApp(backend);
      server = await startServer(t.app, { host: '127.0.0.1', port: 0 });
      key = await t.key(['scim']);
      const other = await t.app.services.workspaces.create('Other', NO_ORIGIN);
      keyB = await t.key(['scim'], other.id);
    });
    after(async () => {
      server.server.closeAllConnections();
      await new Promise((resolve) => server.server.close(resolve));
      await t.close();
    });

    async function call(
      method: string,
      path: string,
      body?: unknown,
      options: { token?: string | null; contentType?: string } = {},
    ): Promise<Answer> {
      const token = options.token === undefined ? key : options.token;
      const response = await fetch(`${server.url}/scim/v2${path}`, {
        method,
        headers: {
          accept: 'application/scim+json',
          ...(body === undefined ? {} : { 'content-type': options.contentType ?? 'application/scim+json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {}
      return { status: response.status, contentType: response.headers.get('content-type'), body: parsed };
    }

    let serial = 0;
    async function newUser(extra: Record<string, unknown> = {}, token?: string) {
      const r = await call(
        'POST',
        '/Users',
        { schemas: [USER], userName: `u${++serial}@example.com`, ...extra },
        token === undefined ? {} : { token },
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as { id: string; userName: string } & Record<string, any>;
    }
    async function newGroup(members: string[] = []) {
      const r = await call('POST', '/Groups', {
        schemas: [GROUP],
        displayName: `g${++serial}`,
        members: members.map((value) => ({ value })),
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as { id: string; displayName: string } & Record<string, any>;
    }

    /** Sends a request that must be refused with `status`/`scimType` and write nothing. */
    async function refused(
      request: [string, string, unknown?, Parameters<typeof call>[3]?],
      status: number,
      scimType?: string,
    ) {
      const before = await snapshot(t);
      const r = await call(...request);
      assertScimError(r, status, scimType);
      assert.deepEqual(await snapshot(t), before, `${request[0]} ${request[1]} wrote something`);
      return r;
    }

    it('Okta: create, match by userName, deactivate, PUT, push a group and its members', async () => {
      const created = await call('POST', '/Users', {
        schemas: [USER],
        userName: 'okta.user@example.com',
        name: { givenName: 'Okta', familyName: 'User' },
        emails: [{ primary: true, value: 'okta.user@example.com', type: 'work' }],
        displayName: 'Okta User',
        locale: 'en-US',
        externalId: '00u1ab2',
        groups: [],
        password: 'ignored',
        active: true,
      });
      assert.equal(created.status, 201);
      assert.match(created.contentType ?? '', /^application\/scim\+json/);
      const id = created.body.id as string;
      const found = await call(
        'GET',
        `/Users?filter=${encodeURIComponent('userName eq "OKTA.user@example.com"')}&startIndex=1&count=100`,
      );
      assert.equal(found.body.totalResults, 1);
      assert.equal(found.body.Resources[0].id, id);
      const none = await call(
        'GET',
        `/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`,
      );
      assert.deepEqual([none.status, none.body.totalResults, none.body.Resources], [200, 0, []]);
      const off = await call('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: false } }));
      assert.equal(off.body.active, false);
      const put = await call('PUT', `/Users/${id}`, {
        ...created.body,
        name: { givenName: 'Okta', familyName: 'Renamed' },
        active: true,
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.name.familyName, 'Renamed');
      assert.equal(put.body.active, true);
      const other = await newUser();
      const group = await call('POST', '/Groups', {
        schemas: [GROUP],
        displayName: 'Okta Pushed',
        members: [],
      });
      assert.equal(group.status, 201);
      const gid = group.body.id as string;
      const renamed = await call(
        'PATCH',
        `/Groups/${gid}`,
        patchBody({ op: 'replace', value: { id: gid, displayName: 'Okta Pushed 2' } }),
      );
      assert.equal(renamed.body.displayName, 'Okta Pushed 2');
      const added = await call(
        'PATCH',
        `/Groups/${gid}`,
        patchBody({
          op: 'add',
          path: 'members',
          value: [
            { value: id, display: 'okta.user@example.com' },
            { value: other.id, display: other.userName },
          ],
        }),
      );
      assert.equal(added.body.members.length, 2);
      const removed = await call(
        'PATCH',
        `/Groups/${gid}`,
        patchBody({ op: 'remove', path: `members[value eq "${id}"]` }),
      );
      assert.deepEqual(
        removed.body.members.map((m: { value: string }) => m.value),
        [other.id],
      );
      const byMember = await call(
        'GET',
        `/Groups?filter=${encodeURIComponent(`members.value eq "${other.id}"`)}`,
      );
      assert.deepEqual(
        byMember.body.Resources.map((g: { id: string }) => g.id),
        [gid],
      );
      const lean = await call('GET', `/Groups/${gid}?excludedAttributes=members`);
      assert.equal(lean.body.members, undefined);
      assert.equal((await call('DELETE', `/Groups/${gid}`)).status, 204);
      assertScimError(await call('GET', `/Groups/${gid}`), 404);
    });

    it('Entra: capitalised ops, boolean strings, path-less values with paths, the work email, members by value', async () => {
      const u = await newUser({ emails: [{ value: 'x@example.com', type: 'other' }] });
      const r = await call(
        'PATCH',
        `/Users/${u.id}`,
        patchBody(
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'entra.work@example.com' },
          {
            op: 'Add',
            value: { 'name.givenName': 'Ent', [`${ENTERPRISE}:department`]: 'Sales', DisplayName: 'Ent Ra' },
          },
          { op: 'Replace', path: 'active', value: 'False' },
          { op: 'REPLACE', path: 'Title', value: 'Engineer' },
        ),
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.active, false);
      assert.equal(r.body.name.givenName, 'Ent');
      assert.equal(r.body[ENTERPRISE].department, 'Sales');
      assert.equal(r.body.displayName, 'Ent Ra');
      assert.equal(r.body.title, 'Engineer');
      assert.ok(r.body.emails.some((e: any) => e.type === 'work' && e.value === 'entra.work@example.com'));
      const byWork = await call(
        'GET',
        `/Users?filter=${encodeURIComponent('emails[type eq "work"].value eq "entra.work@example.com"')}`,
      );
      assert.deepEqual(
        byWork.body.Resources.map((x: { id: string }) => x.id),
        [u.id],
      );
      const on = await call(
        'PATCH',
        `/Users/${u.id}`,
        patchBody({ op: 'replace', path: 'active', value: 'TRUE' }),
      );
      assert.equal(on.body.active, true);
      const m = await newUser();
      const g = await newGroup();
      await call(
        'PATCH',
        `/Groups/${g.id}`,
        patchBody({ op: 'Add', path: 'members', value: [{ value: m.id }] }),
      );
      const out = await call(
        'PATCH',
        `/Groups/${g.id}`,
        patchBody({ op: 'Remove', path: 'members', value: [{ value: m.id }] }),
      );
      assert.deepEqual(out.body.members, []);
      const names = await call(
        'GET',
        `/Users?filter=${encodeURIComponent(`USERNAME Eq "${u.userName.toUpperCase()}"`)}`,
      );
      assert.equal(names.body.totalResults, 1);
      assert.equal((await call('DELETE', `/Users/${u.id}`)).status, 204);
      assertScimError(await call('GET', `/Users/${u.id}`), 404);
    });

    it('pagination edges: 0 and negatives are clamped, non-numbers refused, past the end is empty', async () => {
      await newUser();
      await newUser();
      const zero = await call('GET', '/Users?startIndex=0&count=0');
      assert.equal(zero.body.startIndex, 1);
      assert.deepEqual(zero.body.Resources, []);
      assert.ok(zero.body.totalResults >= 2);
      const negative = await call('GET', '/Users?startIndex=-4&count=-1');
      assert.equal(negative.status, 200);
      assert.deepEqual(negative.body.Resources, []);
      const one = await call('GET', '/Users?startIndex=2&count=1');
      assert.equal(one.body.itemsPerPage, 1);
      const past = await call('GET', '/Users?startIndex=100000&count=5');
      assert.deepEqual([past.body.itemsPerPage, past.body.Resources], [0, []]);
      const capped = await call('GET', '/Users?count=100000');
      assert.equal(capped.status, 200);
      // Past nine digits it is still an integer: the count is capped, the start past the end.
      const huge = await call('GET', `/Users?count=${'9'.repeat(30)}&startIndex=1`);
      assert.equal(huge.status, 200, JSON.stringify(huge.body));
      assert.ok(huge.body.itemsPerPage >= 2);
      const far = await call('GET', `/Users?startIndex=${'9'.repeat(30)}`);
      assert.deepEqual([far.status, far.body.Resources], [200, []]);
      assert.equal(Number.isSafeInteger(far.body.startIndex), true);
      const low = await call('GET', `/Users?startIndex=-${'9'.repeat(30)}&count=-${'9'.repeat(30)}`);
      assert.deepEqual([low.status, low.body.startIndex, low.body.Resources], [200, 1, []]);
      for (const bad of ['startIndex=abc', 'count=1e3', 'count=1.5', 'startIndex=%00', 'count=0x10'])
        assertScimError(await call('GET', `/Users?${bad}`), 400, 'invalidValue');
    });

    it('filters: unknown attributes, garbage, deep nesting, very long, unicode and NUL are SCIM errors or empty, never 500', async () => {
      const cases: [string, number, string?][] = [
        ['password eq "x"', 400, 'invalidFilter'],
        ['userName eq', 400, 'invalidFilter'],
        ['userName eq "a" and', 400, 'invalidFilter'],
        ['userName eq "a\u0000b"', 400, 'invalidFilter'],
        ['emails[type eq "work"', 400, 'invalidFilter'],
        ['emails[nope eq "work"].value eq "x"', 400, 'invalidFilter'],
        [`userName eq "${'a'.repeat(3000)}"`, 400, 'invalidFilter'],
        [`${'('.repeat(990)}userName eq "a"${')'.repeat(990)}`, 200],
        [`${'not ('.repeat(300)}userName eq "a"${')'.repeat(300)}`, 200],
        [Array.from({ length: 60 }, (_, i) => `displayName co "${i}"`).join(' or '), 200],
        ['displayName eq "Ålice 🎉"', 200],
        // Escapes in a filter stay text: the parser does not decode them, so no NUL reaches a query.
        ['externalId eq "a\\u0000b"', 200],
        ['userName eq "a\\u0000b@example.com"', 200],
        ['displayName eq "\\ud800"', 200],
        ['meta.created gt "2020-01-01T00:00:00Z" and active eq true', 200],
      ];
      for (const [filter, status, scimType] of cases) {
        const r = await call('GET', `/Users?filter=${encodeURIComponent(filter)}`);
        if (status === 200) assert.equal(r.status, 200, `${filter.slice(0, 60)}: ${JSON.stringify(r.body)}`);
        else assertScimError(r, status, scimType);
      }
      assertScimError(
        await call('GET', `/Groups?filter=${encodeURIComponent('members.display eq "x"')}`),
        400,
        'invalidFilter',
      );
    });

    it('a key of workspace B sees nothing of workspace A and writes nothing to it', async () => {
      const u = await newUser();
      const g = await newGroup([u.id]);
      const list = await call('GET', '/Users', undefined, { token: keyB });
      assert.ok(!list.body.Resources.some((x: { id: string }) => x.id === u.id));
      const byName = await call(
        'GET',
        `/Users?filter=${encodeURIComponent(`userName eq "${u.userName}"`)}`,
        undefined,
        {
          token: keyB,
        },
      );
      assert.equal(byName.body.totalResults, 0);
      const groups = await call('GET', '/Groups', undefined, { token: keyB });
      assert.ok(!groups.body.Resources.some((x: { id: string }) => x.id === g.id));
      const asB = { token: keyB };
      await refused(['GET', `/Users/${u.id}`, undefined, asB], 404);
      await refused(
        ['PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', path: 'active', value: false }), asB],
        404,
      );
      await refused(
        ['PUT', `/Users/${u.id}`, { schemas: [USER], userName: u.userName, active: false }, asB],
        404,
      );
      await refused(['DELETE', `/Users/${u.id}`, undefined, asB], 404);
      await refused(['GET', `/Groups/${g.id}`, undefined, asB], 404);
      await refused(['PATCH', `/Groups/${g.id}`, patchBody({ op: 'remove', path: 'members' }), asB], 404);
      await refused(['PUT', `/Groups/${g.id}`, { schemas: [GROUP], displayName: 'taken' }, asB], 404);
      await refused(['DELETE', `/Groups/${g.id}`, undefined, asB], 404);
      // B's own group cannot take A's user as a member, nor A's group B's.
      const bUser = await newUser({}, keyB);
      const bGroup = await call('POST', '/Groups', { schemas: [GROUP], displayName: 'B' }, asB);
      await refused(
        [
          'PATCH',
          `/Groups/${bGroup.body.id}`,
          patchBody({ op: 'add', path: 'members', value: [{ value: u.id }] }),
          asB,
        ],
        400,
        'invalidValue',
      );
      await refused(
        ['PATCH', `/Groups/${g.id}`, patchBody({ op: 'add', path: 'members', value: [{ value: bUser.id }] })],
        400,
        'invalidValue',
      );
      await refused(
        ['POST', '/Groups', { schemas: [GROUP], displayName: 'mixed', members: [{ value: bUser.id }] }],
        400,
        'invalidValue',
      );
      await refused(
        [
          'PATCH',
          `/Groups/${g.id}`,
          patchBody({ op: 'add', path: 'members', value: [{ value: 'usr_doesnotexist' }] }),
        ],
        400,
        'invalidValue',
      );
    });

    it('a key without the scim permission, a revoked key and no key are the same 401', async () => {
      const iam = await t.key(['iam:read', 'iam:write']);
      const revoked = await t.key(['scim']);
      assert.equal((await call('GET', '/Users', undefined, { token: revoked })).status, 200);
      const keyId = t.app.services.accessKeys.keyIdOf(revoked)!;
      await t.app.services.accessKeys.revoke(t.workspaceId, keyId, NO_ORIGIN);
      for (const token of [iam, revoked, null, `${key}x`, 'Basic abc']) {
        const r = await refused(['GET', '/Users', undefined, { token }], 401);
        assert.equal(r.body.detail, 'Unauthorized');
      }
      await refused(
        ['POST', '/Users', { schemas: [USER], userName: 'iam@example.com' }, { token: iam }],
        401,
      );
    });

    it('id, meta and groups cannot be written; a body id of another resource is mutability', async () => {
      const u = await newUser();
      const g = await newGroup();
      const user = `/Users/${u.id}`;
      for (const op of [
        { op: 'replace', path: 'id', value: 'usr_other' },
        { op: 'replace', path: 'meta.created', value: '2000-01-01T00:00:00Z' },
        { op: 'add', value: { meta: { version: 'W/"9"' } } },
        { op: 'replace', value: { id: 'usr_other' } },
        { op: 'add', path: 'groups', value: [{ value: g.id }] },
        { op: 'remove', path: 'id' },
      ])
        await refused(['PATCH', user, patchBody(op)], 400, 'mutability');
      await refused(
        ['PUT', user, { schemas: [USER], id: 'usr_other', userName: u.userName }],
        400,
        'mutability',
      );
      await refused(
        [
          'PATCH',
          `/Groups/${g.id}`,
          patchBody({ op: 'replace', value: { id: 'grp_other', displayName: 'x' } }),
        ],
        400,
        'mutability',
      );
    });

    it('a PATCH whose first operation is valid and a later one is not writes nothing', async () => {
      const u = await newUser();
      const g = await newGroup([u.id]);
      const first = { op: 'replace', path: 'title', value: 'Boss' };
      await refused(
        ['PATCH', `/Users/${u.id}`, patchBody(first, { op: 'replace', path: 'nope', value: 1 })],
        400,
        'invalidPath',
      );
      await refused(
        ['PATCH', `/Users/${u.id}`, patchBody(first, { op: 'replace', path: 'active', value: 'maybe' })],
        400,
        'invalidValue',
      );
      await refused(
        ['PATCH', `/Users/${u.id}`, patchBody(first, { op: 'frobnicate', path: 'title' })],
        400,
        'invalidSyntax',
      );
      await refused(['PATCH', `/Users/${u.id}`, patchBody(first, { op: 'remove' })], 400, 'noTarget');
      await refused(
        [
          'PATCH',
          `/Users/${u.id}`,
          patchBody(first, { op: 'replace', path: 'userName', value: 'not an email' }),
        ],
        400,
        'invalidValue',
      );
      const taken = await newUser();
      await refused(
        [
          'PATCH',
          `/Users/${u.id}`,
          patchBody(first, { op: 'replace', path: 'userName', value: taken.userName }),
        ],
        409,
        'uniqueness',
      );
      await refused(
        [
          'PATCH',
          `/Groups/${g.id}`,
          patchBody(
            { op: 'remove', path: 'members' },
            { op: 'add', path: 'members', value: [{ value: 'usr_nope' }] },
          ),
        ],
        400,
        'invalidValue',
      );
      await refused(
        ['PATCH', `/Users/${u.id}`, patchBody(...Array.from({ length: 1001 }, () => first))],
        400,
        'tooMany',
      );
    });

    it('a duplicate userName is 409 uniqueness; after a DELETE the userName can be provisioned again', async () => {
      const u = await newUser();
      await refused(
        ['POST', '/Users', { schemas: [USER], userName: u.userName.toUpperCase() }],
        409,
        'uniqueness',
      );
      const g = await newGroup([u.id]);
      await refused(
        ['POST', '/Groups', { schemas: [GROUP], displayName: g.displayName.toUpperCase() }],
        409,
        'uniqueness',
      );
      assert.equal((await call('DELETE', `/Users/${u.id}`)).status, 204);
      await refused(['DELETE', `/Users/${u.id}`], 404);
      await refused(
        ['PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', path: 'active', value: false })],
        404,
      );
      const again = await call('POST', '/Users', { schemas: [USER], userName: u.userName });
      assert.equal(again.status, 201);
      assert.notEqual(again.body.id, u.id);
      assert.deepEqual((await call('GET', `/Groups/${g.id}`)).body.members, []);
    });

    it('content types, bad JSON and odd bodies are SCIM errors', async () => {
      const body = JSON.stringify({ schemas: [USER], userName: 'ct@example.com' });
      await refused(['POST', '/Users', body, { contentType: 'text/plain' }], 415);
      await refused(['POST', '/Users', body, { contentType: 'application/x-www-form-urlencoded' }], 415);
      await refused(['POST', '/Users', '{"schemas":', {}], 400, 'invalidSyntax');
      await refused(['POST', '/Users', '[]', {}], 400, 'invalidSyntax');
      await refused(['POST', '/Users', { userName: 'noschemas@example.com' }], 400, 'invalidSyntax');
      await refused(
        ['POST', '/Users', { schemas: [USER], userName: 'x@example.com', userName2: 1 }],
        400,
        'invalidSyntax',
      );
      await refused(
        ['POST', '/Users', { schemas: [USER], userName: 'a@example.com', UserName: 'b@example.com' }],
        400,
        'invalidSyntax',
      );
      await refused(
        ['POST', '/Users', { schemas: [USER], userName: 'x@example.com', active: 'yes' }],
        400,
        'invalidValue',
      );
      await refused(['POST', '/Users', { schemas: [USER], userName: 42 }], 400, 'invalidValue');
      const json = await call('POST', '/Users', body, { contentType: 'application/json; charset=utf-8' });
      assert.equal(json.status, 201);
    });

    it('createUsers and setUserAttributes on a SCIM-managed user behave as documented', async () => {
      const u = await newUser({ [TESSERA]: { tenant_id: 'acme' } });
      const listed = await t.gql('{ listUsers { id isScimManaged } }');
      assert.equal(
        listed.body.data!.listUsers.find((x: { id: string }) => x.id === u.id).isScimManaged,
        true,
      );
      const before = await snapshot(t);
      const set = await t.gql(
        'mutation($i: SetUserAttributesInput!) { setUserAttributes(input: $i) { status { code errorCode } } }',
        { i: { userId: u.id, userAttributes: [{ key: 'tenant_id', value: 'globex' }] } },
      );
      assert.equal(set.body.data!.setUserAttributes.status.errorCode, 'CONFLICT');
      const create = await t.gql(
        'mutation($i: CreateUsersInput!) { createUsers(input: $i) { status { errorCode problems { item } } } }',
        { i: { emails: [u.userName], userAttributes: [{ key: 'tenant_id', value: 'globex' }] } },
      );
      assert.equal(create.body.data!.createUsers.status.errorCode, 'CONFLICT');
      assert.deepEqual(create.body.data!.createUsers.status.problems, [{ item: u.userName }]);
      assert.deepEqual(await snapshot(t), before);
      const plain = await t.gql(
        'mutation($i: CreateUsersInput!) { createUsers(input: $i) { status { code } users { id } } }',
        { i: { emails: [u.userName] } },
      );
      assert.equal(plain.body.data!.createUsers.status.code, 'OK');
      assert.equal((await call('GET', `/Users/${u.id}`)).body[TESSERA].tenant_id, 'acme');
    });

    it('a NUL or an unpaired surrogate anywhere in a body is 400 invalidValue, nothing written or altered', async () => {
      const u = await newUser();
      const g = await newGroup();
      const bad = ['a\u0000b', 'a\ud800b', '\udc00'];
      for (const text of bad) {
        await refused(
          ['POST', '/Users', { schemas: [USER], userName: 'nul@example.com', title: text }],
          400,
          'invalidValue',
        );
        await refused(
          ['POST', '/Users', { schemas: [USER], userName: 'nul@example.com', externalId: text }],
          400,
          'invalidValue',
        );
        await refused(
          ['POST', '/Users', { schemas: [USER], userName: 'nul@example.com', displayName: text }],
          400,
          'invalidValue',
        );
        await refused(
          ['POST', '/Users', { schemas: [USER], userName: 'nul@example.com', name: { [text]: 'x' } }],
          400,
          'invalidValue',
        );
        await refused(
          ['PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', path: 'name.givenName', value: text })],
          400,
          'invalidValue',
        );
        await refused(
          [
            'PUT',
            `/Users/${u.id}`,
            { schemas: [USER], userName: u.userName, [ENTERPRISE]: { department: text } },
          ],
          400,
          'invalidValue',
        );
        await refused(['POST', '/Groups', { schemas: [GROUP], displayName: text }], 400, 'invalidValue');
        await refused(
          ['POST', '/Groups', { schemas: [GROUP], displayName: 'ok', members: [{ value: text }] }],
          400,
          'invalidValue',
        );
        await refused(
          ['PATCH', `/Groups/${g.id}`, patchBody({ op: 'add', path: 'members', value: [{ value: text }] })],
          400,
          'invalidValue',
        );
      }
    });

    it('a deeply nested body is 400 invalidSyntax, never a stack overflow', async () => {
      const u = await newUser();
      for (const depth of [40, 5000, 100_000]) {
        const arrays = `{"schemas":["${USER}"],"userName":"deep@example.com","title":${'['.repeat(depth)}${']'.repeat(depth)}}`;
        await refused(['POST', '/Users', arrays], 400, 'invalidSyntax');
        const objects = `{"schemas":["${USER}"],"userName":"deep@example.com","name":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
        await refused(['PUT', `/Users/${u.id}`, objects], 400, 'invalidSyntax');
        const ops = `{"schemas":["${PATCH}"],"Operations":[{"op":"add","path":"title","value":${'['.repeat(depth)}${']'.repeat(depth)}}]}`;
        await refused(['PATCH', `/Users/${u.id}`, ops], 400, 'invalidSyntax');
      }
    });

    it('concurrent PATCHes of one group or one user all land, none overwrites another', async () => {
      const users = [];
      for (let i = 0; i < 8; i++) users.push(await newUser());
      const g = await newGroup([users[0]!.id]);
      const adds = await Promise.all(
        users
          .slice(1)
          .map((u) =>
            call(
              'PATCH',
              `/Groups/${g.id}`,
              patchBody({ op: 'add', path: 'members', value: [{ value: u.id }] }),
            ),
          ),
      );
      assert.deepEqual(
        adds.map((r) => r.status),
        adds.map(() => 200),
      );
      const members = (await call('GET', `/Groups/${g.id}`)).body.members.map(
        (m: { value: string }) => m.value,
      );
      assert.deepEqual(members.sort(), users.map((u) => u.id).sort());
      // Entra's remove and Okta's add at the same moment: the removed one is gone, the added one in.
      const late = await newUser();
      await Promise.all([
        call(
          'PATCH',
          `/Groups/${g.id}`,
          patchBody({ op: 'remove', path: `members[value eq "${users[0]!.id}"]` }),
        ),
        call(
          'PATCH',
          `/Groups/${g.id}`,
          patchBody({ op: 'Add', path: 'members', value: [{ value: late.id }] }),
        ),
      ]);
      const after = (await call('GET', `/Groups/${g.id}`)).body.members.map(
        (m: { value: string }) => m.value,
      );
      assert.ok(!after.includes(users[0]!.id));
      assert.ok(after.includes(late.id));
      assert.equal(after.length, users.length);
      const u = users[1]!;
      const keys = ['k_a', 'k_b', 'k_c', 'k_d', 'k_e'];
      await Promise.all([
        ...keys.map((k) =>
          call('PATCH', `/Users/${u.id}`, patchBody({ op: 'add', path: `${TESSERA}:${k}`, value: k })),
        ),
        call('PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', path: 'active', value: false })),
        call('PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', path: 'title', value: 'Lead' })),
      ]);
      const final = (await call('GET', `/Users/${u.id}`)).body;
      assert.deepEqual(final[TESSERA], Object.fromEntries(keys.map((k) => [k, k])));
      assert.equal(final.active, false);
      assert.equal(final.title, 'Lead');
    });

    it('a value stored before its key was declared does not block deactivation, and cannot be newly written', async () => {
      const key = `seats_${++serial}`;
      const created = await t.gql(
        'mutation($i: CreateUsersInput!) { createUsers(input: $i) { users { id } } }',
        { i: { emails: [`stale${serial}@example.com`], userAttributes: [{ key, value: 'ten' }] } },
      );
      const id = created.body.data!.createUsers.users[0].id as string;
      const defined = await t.gql(
        'mutation($i: DefineAttributeInput!) { defineAttribute(input: $i) { status { code } } }',
        { i: { key, type: 'INT' } },
      );
      assert.equal(defined.body.data!.defineAttribute.status.code, 'OK');
      // Okta deactivates; Entra sends its path-less form; a PUT carries the attribute back unchanged.
      const off = await call('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: false } }));
      assert.equal(off.status, 200, JSON.stringify(off.body));
      assert.equal(off.body.active, false);
      assert.equal(off.body[TESSERA][key], 'ten');
      const put = await call('PUT', `/Users/${id}`, { ...off.body, title: 'Kept' });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      // Writing a value of the wrong type is still refused, the stale one included.
      await refused(
        ['PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: `${TESSERA}:${key}`, value: 'eleven' })],
        400,
        'invalidValue',
      );
      const other = await newUser();
      await refused(
        ['PATCH', `/Users/${other.id}`, patchBody({ op: 'add', path: `${TESSERA}:${key}`, value: 'ten' })],
        400,
        'invalidValue',
      );
      const fixed = await call(
        'PATCH',
        `/Users/${id}`,
        patchBody({ op: 'replace', path: `${TESSERA}:${key}`, value: 11 }),
      );
      assert.equal(fixed.body[TESSERA][key], '11');
    });

    it('a PATCH path naming an unknown sub-attribute, or a filter that does not parse, is invalidPath', async () => {
      const u = await newUser({ emails: [{ value: 'p@example.com', type: 'work' }] });
      const g = await newGroup([u.id]);
      for (const path of [
        'emails[nope eq "x"].value',
        'emails[type eq "work"].nope',
        'emails[type eq ].value',
        'emails[type eq "work" and].value',
        'emails[].value',
        'title[value eq "x"]',
        'title.value',
        'name.nope',
        'name[givenName eq "x"]',
        'phoneNumbers[bogus pr].value',
      ]) {
        await refused(
          ['PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', path, value: 'q' })],
          400,
          'invalidPath',
        );
        await refused(
          ['PATCH', `/Users/${u.id}`, patchBody({ op: 'add', path, value: 'q' })],
          400,
          'invalidPath',
        );
      }
      for (const path of [
        'members[nope eq "x"]',
        'members[value eq ]',
        'members.nope',
        'displayName[value eq "x"]',
      ])
        await refused(['PATCH', `/Groups/${g.id}`, patchBody({ op: 'remove', path })], 400, 'invalidPath');
      // The forms Okta and Entra send still work, sub-attribute names in any case.
      const ok = await call(
        'PATCH',
        `/Users/${u.id}`,
        patchBody(
          { op: 'replace', path: 'emails[TYPE eq "work"].Value', value: 'p2@example.com' },
          { op: 'add', path: 'addresses[type eq "work"].streetAddress', value: '1 Main St' },
          { op: 'add', path: 'phoneNumbers[type eq "mobile"].value', value: '+100' },
        ),
      );
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.emails[0].value, 'p2@example.com');
      assert.equal(ok.body.addresses[0].streetAddress, '1 Main St');
    });

    it('a user suspended through the API stays suspended whatever the IdP pushes', async () => {
      const u = await newUser({ title: 'Before' });
      const setStatus = (status: string) =>
        t.gql('mutation($i: SetUserStatusInput!) { setUserStatus(input: $i) { status { code } } }', {
          i: { userId: u.id, status },
        });
      const statusOf = async () =>
        (await t.gql('{ listUsers { id status } }')).body.data!.listUsers.find(
          (x: { id: string }) => x.id === u.id,
        ).status;
      assert.equal((await setStatus('SUSPENDED')).body.data!.setUserStatus.status.code, 'OK');
      const session = await t.gql(
        'mutation($k: String!, $e: String!) { impersonateUser(accessToken: $k, userEmail: $e) }',
        { k: t.rootKey, e: u.userName },
      );
      assert.equal(session.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      // Entra's profile sync, Okta's profile push (a PUT with active: true), Okta's reactivation.
      const title = await call(
        'PATCH',
        `/Users/${u.id}`,
        patchBody({ op: 'Replace', path: 'title', value: 'After' }),
      );
      assert.equal(title.status, 200);
      assert.equal(title.body.active, false);
      assert.equal(await statusOf(), 'SUSPENDED');
      const put = await call('PUT', `/Users/${u.id}`, { ...title.body, active: true });
      assert.equal(put.status, 200);
      assert.equal(await statusOf(), 'SUSPENDED');
      await call('PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', value: { active: true } }));
      assert.equal(await statusOf(), 'SUSPENDED');
      // Lifted by the API, the IdP owns active again.
      await setStatus('ACTIVE');
      await call('PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', value: { active: 'False' } }));
      assert.equal(await statusOf(), 'INACTIVE');
      await call('PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', path: 'title', value: 'Again' }));
      assert.equal(await statusOf(), 'INACTIVE');
      await call('PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', path: 'active', value: true }));
      assert.equal(await statusOf(), 'ACTIVE');
    });

    it('refusals before any handler (unknown endpoint, method, malformed id, oversized body) are SCIM errors', async () => {
      const u = await newUser();
      await refused(
        ['POST', '/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'] }],
        404,
      );
      await refused(['GET', '/Me'], 404);
      await refused(['GET', ''], 404);
      await refused(
        ['POST', '/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'] }],
        405,
      );
      await refused(['OPTIONS', '/Users'], 405);
      await refused(['PUT', '/Users', { schemas: [USER], userName: 'x@example.com' }], 405);
      await refused(['PATCH', '/Groups', patchBody({ op: 'remove', path: 'members' })], 405);
      await refused(['GET', '/Users/%ZZ'], 400);
      await refused(['DELETE', '/Users/%00'], 400);
      await refused(['GET', '/Users/%ED%A0%80'], 400);
      const huge = { schemas: [USER], userName: 'huge@example.com', title: 'x'.repeat(2 * 1024 * 1024) };
      await refused(['POST', '/Users', huge], 413);
      await refused(['PUT', `/Users/${u.id}`, huge], 413);
      // Outside /scim/v2 the API's own error body is kept.
      const other = await fetch(`${server.url}/scim/v2x/Users`);
      assert.equal(other.status, 404);
      assert.ok(Array.isArray(((await other.json()) as { errors: unknown[] }).errors));
    });

    it('stored fields must have their declared type: a list for a title, an unknown sub-attribute are refused', async () => {
      const u = await newUser();
      // [fields, scimType, whether a path-less PATCH value of the same fields is checked too]
      const bad: [Record<string, unknown>, string, boolean?][] = [
        [{ title: [1, 2] }, 'invalidValue'],
        [{ nickName: { a: 1 } }, 'invalidValue'],
        [{ name: 'str' }, 'invalidValue'],
        [{ name: { givenName: 5 } }, 'invalidValue'],
        [{ name: { nope: 'x' } }, 'invalidSyntax'],
        [{ emails: ['x@example.com'] }, 'invalidValue'],
        [{ emails: [{ value: 'x@example.com', nope: 'x' }] }, 'invalidSyntax'],
        [{ emails: [{ value: 'x@example.com', primary: 'yes' }] }, 'invalidValue'],
        [{ phoneNumbers: [{ value: 12345 }] }, 'invalidValue'],
        [{ [ENTERPRISE]: 'Sales' }, 'invalidValue'],
        [{ [ENTERPRISE]: { department: ['a'] } }, 'invalidValue'],
        [{ [ENTERPRISE]: { nope: 'x' } }, 'invalidSyntax'],
        [{ [ENTERPRISE]: { manager: { value: 1 } } }, 'invalidValue'],
      ];
      for (const [fields, scimType, patched = true] of bad) {
        await refused(
          ['POST', '/Users', { schemas: [USER], userName: 'shape@example.com', ...fields }],
          400,
          scimType,
        );
        await refused(
          ['PUT', `/Users/${u.id}`, { schemas: [USER], userName: u.userName, ...fields }],
          400,
          scimType,
        );
        if (patched)
          await refused(['PATCH', `/Users/${u.id}`, patchBody({ op: 'add', value: fields })], 400, scimType);
      }
      // A PATCH may add one email as an object (it is appended); a PUT must give the list.
      await refused(
        [
          'PUT',
          `/Users/${u.id}`,
          { schemas: [USER], userName: u.userName, emails: { value: 'x@example.com' } },
        ],
        400,
        'invalidValue',
      );
      await refused(
        ['PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', path: 'title', value: [1, 2] })],
        400,
        'invalidValue',
      );
      await refused(
        ['PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', path: 'name', value: 'str' })],
        400,
        'invalidValue',
      );
      // What Okta and Entra send is accepted: Entra's "True", its manager as an id, RFC's manager object.
      const good = await call('PUT', `/Users/${u.id}`, {
        schemas: [USER, ENTERPRISE],
        userName: u.userName,
        name: { givenName: 'G', familyName: 'F', formatted: 'G F' },
        emails: [{ value: u.userName, type: 'work', primary: 'True' }],
        phoneNumbers: [{ value: '+1 555', type: 'mobile' }],
        addresses: [{ type: 'work', streetAddress: '1 Main', country: 'DE', primary: true }],
        title: 'Eng',
        [ENTERPRISE]: { department: 'R&D', manager: { value: 'usr_boss', displayName: 'Boss' } },
      });
      assert.equal(good.status, 200, JSON.stringify(good.body));
      assert.equal(good.body.emails[0].primary, true);
      const entra = await call(
        'PATCH',
        `/Users/${(await newUser()).id}`,
        patchBody({ op: 'Add', path: `${ENTERPRISE}:manager`, value: 'usr_boss2' }),
      );
      assert.equal(entra.status, 200, JSON.stringify(entra.body));
    });

    it('a path-less PATCH value naming an extension whole applies each of its attributes', async () => {
      const u = await newUser();
      const r = await call(
        'PATCH',
        `/Users/${u.id}`,
        patchBody(
          { op: 'replace', value: { [ENTERPRISE]: { department: 'Sales', employeeNumber: '42' } } },
          { op: 'Add', value: { [TESSERA.toLowerCase()]: { tenant_id: 'acme', regions: ['DE', 'FR'] } } },
        ),
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body[ENTERPRISE], { department: 'Sales', employeeNumber: '42' });
      assert.equal(r.body[TESSERA].tenant_id, 'acme');
      const found = await call(
        'GET',
        `/Users?filter=${encodeURIComponent(`${ENTERPRISE}:department eq "sales"`)}`,
      );
      assert.ok(found.body.Resources.some((x: { id: string }) => x.id === u.id));
      await refused(
        ['PATCH', `/Users/${u.id}`, patchBody({ op: 'replace', value: { [TESSERA]: 'acme' } })],
        400,
        'invalidValue',
      );
      const g = await newGroup();
      await refused(
        [
          'PATCH',
          `/Groups/${g.id}`,
          patchBody({ op: 'replace', value: { [ENTERPRISE]: { department: 'x' } } }),
        ],
        400,
        'invalidPath',
      );
    });

    it('member adds and removes are idempotent, on an empty group too', async () => {
      const u = await newUser();
      const created = await call('POST', '/Groups', {
        schemas: [GROUP],
        displayName: `dups${++serial}`,
        members: [{ value: u.id }, { value: u.id }],
      });
      assert.equal(created.body.members.length, 1);
      const path = `/Groups/${created.body.id}`;
      const again = await call(
        'PATCH',
        path,
        patchBody({ op: 'add', path: 'members', value: [{ value: u.id }] }),
      );
      assert.equal(again.body.members.length, 1);
      for (const op of [
        { op: 'remove', path: 'members' },
        { op: 'remove', path: 'members' },
        { op: 'remove', path: `members[value eq "${u.id}"]` },
        { op: 'Remove', path: 'members', value: [{ value: u.id }] },
      ]) {
        const r = await call('PATCH', path, patchBody(op));
        assert.deepEqual([r.status, r.body.members], [200, []], JSON.stringify(op));
      }
      const put = await call('PUT', path, {
        schemas: [GROUP],
        displayName: created.body.displayName,
        members: null,
      });
      assert.deepEqual([put.status, put.body.members], [200, []]);
    });

    it('discovery endpoints answer SCIM resources', async () => {
      const config = await call('GET', '/ServiceProviderConfig');
      assert.equal(config.body.patch.supported, true);
      assert.equal(config.body.filter.maxResults, 200);
      const types = await call('GET', '/ResourceTypes');
      assert.deepEqual(
        types.body.Resources.map((x: { id: string }) => x.id),
        ['User', 'Group'],
      );
      assert.equal((await call('GET', '/ResourceTypes/user')).body.id, 'User');
      assertScimError(await call('GET', '/ResourceTypes/Nope'), 404);
      assert.equal((await call('GET', `/Schemas/${USER}`)).body.id, USER);
    });
  });
}
