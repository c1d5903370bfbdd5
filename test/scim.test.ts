import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createUsers, STATUS, setUserAttributes, USER_FIELDS } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';
import { runSteps, type ScimStep, scim, scimRowCounts } from './helpers/scim.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/scim/${name}.json`, import.meta.url), 'utf8')) as {
    users: ScimStep[];
    groups: ScimStep[];
  };
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const TESSERA = 'urn:ietf:params:scim:schemas:extension:tessera:2.0:User';
const q = encodeURIComponent;

for (const backend of testBackends()) {
  describe(`SCIM 2.0 (${backend.name})`, () => {
    let t: TestApp;
    let token: string;

    before(async () => {
      t = await startTestApp(backend);
      token = await t.key(['scim']);
    });
    after(async () => {
      await t?.close();
    });

    const newUser = async (userName: string, extra: Record<string, unknown> = {}) => {
      const r = await scim(t, token, 'POST', '/Users', { schemas: [USER], userName, active: true, ...extra });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as { id: string } & Record<string, any>;
    };

    test('Okta: provisioning, update, deactivation and group push, request by request', async () => {
      const okta = fixture('okta');
      const { saved } = await runSteps(t, token, okta.users);
      await runSteps(t, token, okta.groups, saved);
      const user = await t.gql(`query($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`, { id: saved.userId });
      assert.equal(user.body.data!.user.isScimManaged, true);
      assert.equal(user.body.data!.user.name, 'Dana Okta-Smith');
      assert.equal(user.body.data!.user.status, 'ACTIVE');
    });

    test('Microsoft Entra: provisioning, update, disable, groups and deletion, request by request', async () => {
      const entra = fixture('entra');
      const { saved } = await runSteps(t, token, entra.users);
      const disabledCheck = await t.app.services.users.find(t.workspaceId, saved.userId!);
      assert.equal(disabledCheck?.status, 'ACTIVE');
      await runSteps(t, token, entra.groups, saved);
      assert.equal(await t.app.services.users.find(t.workspaceId, saved.userId!), undefined);
    });

    test('deactivation makes the user INACTIVE: its sessions end and no new one starts', async () => {
      const u = await newUser('deact@example.com');
      const impersonate = () =>
        t.gql('mutation($k: String!, $e: String!) { impersonateUser(accessToken: $k, userEmail: $e) }', {
          k: t.rootKey,
          e: 'deact@example.com',
        });
      const session = (await impersonate()).body.data!.impersonateUser as string;
      assert.equal((await t.gql('{ currentUser { id } }', {}, session)).body.data?.currentUser?.id, u.id);
      const r = await scim(t, token, 'PATCH', `/Users/${u.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
      });
      assert.equal(r.status, 200);
      assert.equal((await t.app.services.users.find(t.workspaceId, u.id))?.status, 'INACTIVE');
      assert.equal((await t.gql('{ currentUser { id } }', {}, session)).status, 401);
      assert.equal((await impersonate()).body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    });

    test('filters: userName, emails[type eq "work"].value, externalId, displayName, and/or, pagination', async () => {
      const a = await newUser('Filter.A@example.com', { externalId: 'ext-a', displayName: 'Filter Alpha' });
      const b = await newUser('filter.b@example.com', {
        externalId: 'ext-b',
        displayName: 'Filter Beta',
        emails: [
          { value: 'b.home@example.net', type: 'home' },
          { value: 'filter.b@example.com', type: 'work', primary: true },
        ],
      });
      const ids = async (filter: string, extra = '') => {
        const r = await scim(t, token, 'GET', `/Users?filter=${q(filter)}${extra}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.match(r.contentType ?? '', /^application\/scim\+json/);
        return (r.body.Resources as { id: string }[]).map((x) => x.id).sort();
      };
      assert.deepEqual(await ids('userName eq "filter.a@EXAMPLE.com"'), [a.id]);
      assert.deepEqual(await ids('emails[type eq "work"].value eq "filter.b@example.com"'), [b.id]);
      // Correlated: the home email of b is not a work email.
      assert.deepEqual(await ids('emails[type eq "work"].value eq "b.home@example.net"'), []);
      assert.deepEqual(await ids('externalId eq "ext-b"'), [b.id]);
      assert.deepEqual(await ids('externalId eq "EXT-B"'), []);
      assert.deepEqual(await ids('displayName eq "Filter Alpha"'), [a.id]);
      assert.deepEqual(
        await ids('displayName eq "Filter Alpha" or externalId eq "ext-b"'),
        [a.id, b.id].sort(),
      );
      assert.deepEqual(await ids('displayName sw "Filter" and externalId eq "ext-b"'), [b.id]);
      assert.deepEqual(
        await ids('(userName eq "nobody@x.io" or displayName eq "Filter Beta") and active eq true'),
        [b.id],
      );
      const all = await scim(
        t,
        token,
        'GET',
        `/Users?filter=${q('displayName sw "Filter"')}&startIndex=2&count=1`,
      );
      assert.deepEqual([all.body.totalResults, all.body.startIndex, all.body.itemsPerPage], [2, 2, 1]);
      const none = await scim(t, token, 'GET', `/Users?filter=${q('displayName sw "Filter"')}&count=0`);
      assert.deepEqual([none.body.totalResults, none.body.Resources.length], [2, 0]);
    });

    test('bad filters are 400 invalidFilter', async () => {
      for (const filter of [
        'userName eq',
        'userName zz "x"',
        'password eq "x"',
        'userName eq "a" and',
        '((',
        'emails[type eq "work"',
        '',
      ]) {
        const r = await scim(t, token, 'GET', `/Users?filter=${q(filter)}`);
        assert.equal(r.status, 400, filter);
        assert.equal(r.body.scimType, 'invalidFilter', filter);
        assert.deepEqual(r.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
      }
      const bad = await scim(t, token, 'GET', '/Users?count=ten');
      assert.deepEqual([bad.status, bad.body.scimType], [400, 'invalidValue']);
    });

    test('PATCH forms: add, replace, remove, with and without paths, on users', async () => {
      const u = await newUser('patch.forms@example.com', { name: { givenName: 'P' } });
      const patch = (Operations: unknown[]) =>
        scim(t, token, 'PATCH', `/Users/${u.id}`, { schemas: [PATCH], Operations });
      let r = await patch([{ op: 'add', path: 'title', value: 'Engineer' }]);
      assert.equal(r.body.title, 'Engineer');
      r = await patch([{ op: 'add', value: { nickName: 'Pat', [`${TESSERA}:tenant_id`]: 'acme' } }]);
      assert.deepEqual([r.body.nickName, r.body[TESSERA].tenant_id], ['Pat', 'acme']);
      r = await patch([{ op: 'replace', path: `${TESSERA}:tenant_id`, value: 'globex' }]);
      assert.equal(r.body[TESSERA].tenant_id, 'globex');
      r = await patch([
        { op: 'remove', path: 'title' },
        { op: 'remove', path: `${TESSERA}:tenant_id` },
      ]);
      assert.equal(r.body.title, undefined);
      assert.equal(r.body[TESSERA].tenant_id, undefined);
      r = await patch([{ op: 'replace', path: 'name.givenName', value: 'Q' }]);
      assert.equal(r.body.name.givenName, 'Q');
      r = await patch([{ op: 'replace', value: { displayName: 'Pat Q' } }]);
      assert.equal(r.body.displayName, 'Pat Q');
      const stored = (await t.app.services.users.storedAttributes([u.id])).get(u.id)!;
      assert.deepEqual(
        stored.map((a) => `${a.source}:${a.key}=${a.value}`),
        ['DATABASE:display_name=Pat Q'],
      );
    });

    test('bad PATCH paths and values answer SCIM errors with nothing written', async () => {
      const u = await newUser('patch.bad@example.com', { displayName: 'Kept' });
      const g = await scim(t, token, 'POST', '/Groups', {
        schemas: [GROUP],
        displayName: 'Kept group',
        members: [{ value: u.id }],
      });
      const before = await scimRowCounts(t);
      const cases: [string, unknown, number, string][] = [
        [`/Users/${u.id}`, [{ op: 'replace', path: 'nosuch', value: 'x' }], 400, 'invalidPath'],
        [
          `/Users/${u.id}`,
          [{ op: 'replace', path: 'emails[type eq "work"', value: 'x' }],
          400,
          'invalidPath',
        ],
        [`/Users/${u.id}`, [{ op: 'replace', path: 'id', value: 'usr_other' }], 400, 'mutability'],
        [`/Users/${u.id}`, [{ op: 'replace', path: 'meta.created', value: 'x' }], 400, 'mutability'],
        [`/Users/${u.id}`, [{ op: 'add', path: 'groups', value: [{ value: 'g' }] }], 400, 'mutability'],
        [`/Users/${u.id}`, [{ op: 'remove' }], 400, 'noTarget'],
        [
          `/Users/${u.id}`,
          [{ op: 'replace', path: 'emails[value co "nomatch"].value', value: 'x@y.io' }],
          400,
          'noTarget',
        ],
        [`/Users/${u.id}`, [{ op: 'replace', path: 'active', value: 'maybe' }], 400, 'invalidValue'],
        [`/Users/${u.id}`, [{ op: 'replace', path: 'userName', value: 'not an email' }], 400, 'invalidValue'],
        [
          `/Users/${u.id}`,
          [
            { op: 'replace', path: 'displayName', value: 'Changed' },
            { op: 'move', path: 'x' },
          ],
          400,
          'invalidSyntax',
        ],
        [
          `/Groups/${g.body.id}`,
          [{ op: 'add', path: 'members', value: [{ value: 'usr_unknown' }] }],
          400,
          'invalidValue',
        ],
        [`/Groups/${g.body.id}`, [{ op: 'replace', path: 'owner', value: 'x' }], 400, 'invalidPath'],
      ];
      for (const [path, Operations, status, scimType] of cases) {
        const r = await scim(t, token, 'PATCH', path, { schemas: [PATCH], Operations });
        assert.deepEqual([r.status, r.body.scimType], [status, scimType], JSON.stringify(Operations));
        assert.match(r.contentType ?? '', /^application\/scim\+json/);
      }
      const taken = await newUser('patch.taken@example.com');
      const middle = await scimRowCounts(t);
      const conflict = await scim(t, token, 'PATCH', `/Users/${u.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: 'userName', value: 'PATCH.TAKEN@example.com' }],
      });
      assert.deepEqual([conflict.status, conflict.body.scimType], [409, 'uniqueness']);
      assert.deepEqual(await scimRowCounts(t), middle);
      assert.ok(taken.id);
      assert.equal(before.users! + 1, middle.users);
      const after = await scim(t, token, 'GET', `/Users/${u.id}`);
      assert.equal(after.body.displayName, 'Kept');
      assert.equal(after.body.userName, 'patch.bad@example.com');
      const group = await scim(t, token, 'GET', `/Groups/${g.body.id}`);
      assert.deepEqual(
        group.body.members.map((m: { value: string }) => m.value),
        [u.id],
      );
    });

    test('group PATCH: replace members, remove all members, add without path', async () => {
      const a = await newUser('gm.a@example.com');
      const b = await newUser('gm.b@example.com');
      const g = await scim(t, token, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Members form' });
      const patch = (Operations: unknown[]) =>
        scim(t, token, 'PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations });
      let r = await patch([{ op: 'add', value: { members: [{ value: a.id }, { value: b.id }] } }]);
      assert.equal(r.body.members.length, 2);
      r = await patch([{ op: 'replace', path: 'members', value: [{ value: b.id }] }]);
      assert.deepEqual(
        r.body.members.map((m: { value: string }) => m.value),
        [b.id],
      );
      r = await patch([{ op: 'remove', path: 'members' }]);
      assert.deepEqual(r.body.members, []);
      const put = await scim(t, token, 'PUT', `/Groups/${g.body.id}`, {
        schemas: [GROUP],
        displayName: 'Members form 2',
        members: [{ value: a.id }],
      });
      assert.deepEqual(
        [put.status, put.body.displayName, put.body.members[0].value],
        [200, 'Members form 2', a.id],
      );
      const f = await scim(t, token, 'GET', `/Groups?filter=${q(`members.value eq "${a.id}"`)}`);
      assert.deepEqual(
        f.body.Resources.map((x: { id: string }) => x.id),
        [g.body.id],
      );
    });

    test('the Tessera extension writes DATABASE attributes and respects attribute definitions', async () => {
      const defined = await t.gql(
        `mutation { a: defineAttribute(input: { key: "seats", type: INT }) { ${STATUS} }
                    b: defineAttribute(input: { key: "regions", type: STRING_LIST }) { ${STATUS} } }`,
      );
      assert.equal(defined.body.data!.a.status.code, 'OK');
      const u = await newUser('ext@example.com', {
        [TESSERA]: { seats: 5, regions: ['DE', 'FR'], plan: 'pro' },
      });
      assert.deepEqual(u[TESSERA], { plan: 'pro', regions: ['DE', 'FR'], seats: '5' });
      const before = await scimRowCounts(t);
      const bad = await scim(t, token, 'POST', '/Users', {
        schemas: [USER],
        userName: 'ext2@example.com',
        [TESSERA]: { seats: 'many' },
      });
      assert.deepEqual([bad.status, bad.body.scimType], [400, 'invalidValue']);
      assert.match(bad.body.detail, /seats/);
      const badPatch = await scim(t, token, 'PATCH', `/Users/${u.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: `${TESSERA}:seats`, value: 'many' }],
      });
      assert.deepEqual([badPatch.status, badPatch.body.scimType], [400, 'invalidValue']);
      assert.deepEqual(await scimRowCounts(t), before);
    });

    test('SCIM-managed users: setUserAttributes and createUsers with attributes are refused; roles still apply', async () => {
      const u = await newUser('managed@example.com', { [TESSERA]: { tier: 'gold' } });
      const set = await setUserAttributes(t, u.id, [{ key: 'tier', value: 'silver' }]);
      assert.equal(set.status.errorCode, 'CONFLICT');
      const created = await createUsers(t, {
        emails: ['managed@example.com'],
        userAttributes: [{ key: 'tier', value: 'x' }],
      });
      assert.equal(created.payload.status.errorCode, 'CONFLICT');
      assert.equal(created.payload.status.problems[0]!.item, 'managed@example.com');
      const roles = await createUsers(t, {
        emails: ['managed@example.com'],
        roleAssignments: [{ roleId: '00000000-0000-0000-0000-000000000001', scopes: [] }],
      });
      assert.equal(roles.payload.status.code, 'OK');
      const stored = (await t.app.services.users.storedAttributes([u.id])).get(u.id)!;
      assert.deepEqual(
        stored.map((a) => `${a.key}=${a.value}`),
        ['tier=gold'],
      );
    });

    test('authentication: a scim key only; every failure is one 401 SCIM error', async () => {
      const iam = await t.key(['iam:write', 'iam:read']);
      for (const credential of [null, iam, 'tsk_nope_nope', `${token}x`]) {
        const r = await scim(t, credential, 'GET', '/Users');
        assert.equal(r.status, 401);
        assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="scim"');
        assert.deepEqual(r.body, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
          status: '401',
          detail: 'Unauthorized',
        });
      }
      const failures = await t.app.services.db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('action', '=', 'auth.failure')
        .executeTakeFirstOrThrow();
      assert.ok(Number(failures.n) >= 4, 'each refused SCIM request is audited');
      const other = await t.gql(
        `mutation { createWorkspace(input: { name: "scim-other" }) { ${STATUS} workspace { id } } }`,
      );
      const otherKey = await t.key(['scim'], other.body.data!.createWorkspace.workspace.id);
      const u = await newUser('bola@example.com');
      const r = await scim(t, otherKey, 'GET', `/Users/${u.id}`);
      assert.equal(r.status, 404);
      const d = await scim(t, otherKey, 'DELETE', `/Users/${u.id}`);
      assert.equal(d.status, 404);
      assert.ok(await t.app.services.users.find(t.workspaceId, u.id));
    });

    test('discovery: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
      const spc = await scim(t, token, 'GET', '/ServiceProviderConfig');
      assert.equal(spc.status, 200);
      assert.equal(spc.body.patch.supported, true);
      assert.equal(spc.body.filter.supported, true);
      assert.equal(spc.body.authenticationSchemes[0].type, 'oauthbearertoken');
      const types = await scim(t, token, 'GET', '/ResourceTypes');
      assert.deepEqual(
        types.body.Resources.map((r: { id: string }) => r.id),
        ['User', 'Group'],
      );
      assert.equal((await scim(t, token, 'GET', '/ResourceTypes/User')).body.endpoint, '/Users');
      const schemas = await scim(t, token, 'GET', '/Schemas');
      assert.ok(schemas.body.Resources.some((s: { id: string }) => s.id === TESSERA));
      assert.equal((await scim(t, token, 'GET', `/Schemas/${USER}`)).status, 200);
      assert.equal((await scim(t, token, 'GET', '/Schemas/urn:nope')).status, 404);
    });

    test('malformed requests: bad JSON, wrong content type, missing schemas, unknown attributes', async () => {
      const before = await scimRowCounts(t);
      const bodies: [unknown, Record<string, string>, number, string | undefined][] = [
        ['{"schemas":', {}, 400, 'invalidSyntax'],
        [{ userName: 'x@example.com' }, {}, 400, 'invalidSyntax'],
        [{ schemas: [USER], userName: 'x@example.com', favouriteColour: 'blue' }, {}, 400, 'invalidSyntax'],
        [{ schemas: [USER] }, {}, 400, 'invalidValue'],
        [{ schemas: [USER], userName: 'x@example.com', active: 'yes' }, {}, 400, 'invalidValue'],
        [
          { schemas: [USER], userName: 'x@example.com' },
          { 'content-type': 'text/plain' },
          415,
          'invalidSyntax',
        ],
      ];
      for (const [body, headers, status, scimType] of bodies) {
        const r = await scim(t, token, 'POST', '/Users', body, headers);
        assert.deepEqual([r.status, r.body.scimType], [status, scimType], JSON.stringify(body));
      }
      assert.deepEqual(await scimRowCounts(t), before);
      const put = await scim(t, token, 'PUT', '/Users/usr_missing', {
        schemas: [USER],
        userName: 'x@example.com',
      });
      assert.equal(put.status, 404);
    });
  });
}
