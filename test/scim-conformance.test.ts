import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';
import { scim, scimRowCounts } from './helpers/scim.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = ['urn:ietf:params:scim:api:messages:2.0:PatchOp'];

/** An identity provider's conformance run against RFC 7643/7644 as docs/scim.md states it. */
for (const backend of testBackends()) {
  describe(`SCIM conformance on ${backend.name}`, () => {
    let t: TestApp;
    let key: string;
    let n = 0;
    before(async () => {
      t = await startTestApp(backend);
      key = await t.key(['scim']);
    });
    after(async () => t.close());

    const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      scim(t, key, method, path, body, headers);
    const newUser = async (extra: Record<string, unknown> = {}) => {
      const r = await call('POST', '/Users', { schemas: [USER], userName: `u${++n}@example.com`, ...extra });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as Record<string, any>;
    };
    const patch = (path: string, ...ops: unknown[]) =>
      call('PATCH', path, { schemas: PATCH, Operations: ops });
    const listed = async (resource: string, filter: string) => {
      const r = await call('GET', `/${resource}?filter=${encodeURIComponent(filter)}`);
      assert.equal(r.status, 200, `${filter}: ${JSON.stringify(r.body)}`);
      return (r.body.Resources as { id: string }[]).map((x) => x.id);
    };

    describe('PATCH remove of a target that is not there', () => {
      it('is a no-op success for an absent multi-valued attribute named with a filter', async () => {
        const u = await newUser({ title: 'Eng' });
        const before = await scimRowCounts(t);
        for (const path of [
          'phoneNumbers[type eq "work"]',
          'phoneNumbers[type eq "work"].value',
          'addresses[type eq "work"].streetAddress',
          'emails[type eq "home"].value',
          'emails[type eq "home"]',
        ]) {
          const r = await patch(`/Users/${u.id}`, { op: 'remove', path });
          assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.title, 'Eng');
          assert.deepEqual(r.body.emails, u.emails);
        }
        assert.deepEqual(await scimRowCounts(t), before);
      });

      it('still removes what a filter matches, and only that', async () => {
        const u = await newUser({
          phoneNumbers: [
            { value: '1', type: 'work' },
            { value: '2', type: 'home' },
          ],
        });
        const r = await patch(
          `/Users/${u.id}`,
          { op: 'Remove', path: 'phoneNumbers[type eq "work"]' },
          { op: 'remove', path: 'phoneNumbers[type eq "fax"]' },
        );
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(r.body.phoneNumbers, [{ value: '2', type: 'home' }]);
      });

      it('keeps refusing a filter that does not parse or names an unknown sub-attribute', async () => {
        const u = await newUser();
        for (const path of ['phoneNumbers[type eq ]', 'phoneNumbers[nope eq "x"]']) {
          const r = await patch(`/Users/${u.id}`, { op: 'remove', path });
          assert.equal(r.status, 400);
          assert.equal(r.body.scimType, 'invalidPath', path);
        }
      });
    });

    describe('enterprise manager is complex (RFC 7643 §4.3)', () => {
      it("Entra's manager id as a string is stored and returned as {value}", async () => {
        const u = await newUser({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { manager: 'boss-1' } });
        assert.deepEqual(u[ENTERPRISE].manager, { value: 'boss-1' });
        const r = await patch(`/Users/${u.id}`, {
          op: 'Add',
          path: `${ENTERPRISE}:manager`,
          value: 'boss-2',
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(r.body[ENTERPRISE].manager, { value: 'boss-2' });
        const sub = await patch(`/Users/${u.id}`, {
          op: 'replace',
          path: `${ENTERPRISE}:manager.value`,
          value: 'boss-3',
        });
        assert.equal(sub.status, 200, JSON.stringify(sub.body));
        assert.deepEqual(sub.body[ENTERPRISE].manager, { value: 'boss-3' });
        const got = await call('GET', `/Users/${u.id}`);
        assert.deepEqual(got.body[ENTERPRISE].manager, { value: 'boss-3' });
      });

      it('a manager stored as a string earlier is shown as {value} and can be patched by sub-attribute', async () => {
        const u = await newUser({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { department: 'R&D' } });
        await sql`update scim_users set resource = ${JSON.stringify({
          [ENTERPRISE]: { department: 'R&D', manager: 'old-boss' },
        })}::jsonb where user_id = ${u.id}`.execute(t.app.services.db);
        const got = await call('GET', `/Users/${u.id}`);
        assert.deepEqual(got.body[ENTERPRISE].manager, { value: 'old-boss' });
        const r = await patch(`/Users/${u.id}`, {
          op: 'replace',
          path: `${ENTERPRISE}:manager.displayName`,
          value: 'Old Boss',
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(r.body[ENTERPRISE].manager, { value: 'old-boss', displayName: 'Old Boss' });
      });

      it('a manager of another type is 400 invalidValue, nothing written', async () => {
        const u = await newUser({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { manager: { value: 'b' } } });
        for (const value of [5, true, ['b']]) {
          const r = await patch(`/Users/${u.id}`, { op: 'replace', path: `${ENTERPRISE}:manager`, value });
          assert.equal(r.status, 400, JSON.stringify(value));
          assert.equal(r.body.scimType, 'invalidValue', JSON.stringify(r.body));
        }
        const posted = await call('POST', '/Users', {
          schemas: [USER, ENTERPRISE],
          userName: 'mgr-bad@example.com',
          [ENTERPRISE]: { manager: 7 },
        });
        assert.equal(posted.status, 400);
        assert.equal(posted.body.scimType, 'invalidValue');
        assert.deepEqual((await call('GET', `/Users/${u.id}`)).body[ENTERPRISE].manager, { value: 'b' });
      });

      it('the Schemas endpoint declares manager with value, $ref and displayName', async () => {
        const r = await call('GET', `/Schemas/${ENTERPRISE}`);
        const manager = r.body.attributes.find((a: { name: string }) => a.name === 'manager');
        assert.equal(manager.type, 'complex');
        assert.deepEqual(
          manager.subAttributes.map((s: { name: string }) => s.name),
          ['value', '$ref', 'displayName'],
        );
        assert.equal(manager.subAttributes[1].type, 'reference');
      });
    });

    describe('no ETags: etag.supported is false and no version is claimed', () => {
      it('users and groups carry no meta.version and no ETag header', async () => {
        const config = await call('GET', '/ServiceProviderConfig');
        assert.equal(config.body.etag.supported, false);
        const u = await newUser();
        const g = await call('POST', '/Groups', {
          schemas: [GROUP],
          displayName: `g${++n}`,
          members: [{ value: u.id }],
        });
        for (const r of [
          { status: 201, body: u },
          g,
          await call('GET', `/Users/${u.id}`),
          await patch(`/Users/${u.id}`, { op: 'replace', path: 'title', value: 'x' }),
          await call('GET', `/Groups/${g.body.id}`),
          await call('GET', `/Users?filter=${encodeURIComponent(`id eq "${u.id}"`)}`),
        ]) {
          const resources = r.body.Resources ?? [r.body];
          for (const resource of resources)
            assert.equal(resource.meta.version, undefined, JSON.stringify(resource.meta));
        }
        const get = await call('GET', `/Users/${u.id}`);
        assert.equal(get.headers.get('etag'), null);
      });

      it('If-Match and If-None-Match are ignored, as RFC 7644 §3.14 lets a provider without ETags do', async () => {
        const u = await newUser();
        const put = await call(
          'PUT',
          `/Users/${u.id}`,
          { schemas: [USER], userName: u.userName, title: 'T' },
          { 'if-match': 'W/"nope"' },
        );
        assert.equal(put.status, 200);
        const get = await call('GET', `/Users/${u.id}`, undefined, { 'if-none-match': '*' });
        assert.equal(get.status, 200);
      });
    });

    describe('filters on a complex multi-valued attribute without a sub-attribute', () => {
      it('emails pr, emails eq and emails co compare the emails themselves (their value)', async () => {
        const u = await newUser({ emails: [{ value: 'zed.home@example.org', type: 'home' }] });
        assert.deepEqual(await listed('Users', 'emails co "zed.home@"'), [u.id]);
        assert.deepEqual(await listed('Users', 'emails eq "ZED.HOME@example.org"'), [u.id]);
        assert.ok((await listed('Users', 'emails pr')).includes(u.id));
        assert.ok(!(await listed('Users', 'not (emails pr)')).includes(u.id));
        const g = await call('POST', '/Groups', {
          schemas: [GROUP],
          displayName: `g${++n}`,
          members: [{ value: u.id }],
        });
        assert.deepEqual(await listed('Groups', `members eq "${u.id}"`), [g.body.id]);
        assert.ok((await listed('Groups', 'members pr')).includes(g.body.id));
      });
    });

    describe('dateTime filters compare instants, not text', () => {
      it('meta.created against a value without milliseconds', async () => {
        t.clock.set(Date.parse('2030-01-02T03:04:05.678Z'));
        const u = await newUser();
        assert.equal(u.meta.created, '2030-01-02T03:04:05.678Z');
        const ids = (f: string) => listed('Users', f);
        assert.ok((await ids('meta.created gt "2030-01-02T03:04:05Z"')).includes(u.id));
        assert.ok(!(await ids('meta.created lt "2030-01-02T03:04:05Z"')).includes(u.id));
        assert.ok((await ids('meta.created ge "2030-01-02T04:04:05+01:00"')).includes(u.id));
        assert.ok((await ids('meta.created eq "2030-01-02T03:04:05.678Z"')).includes(u.id));
        const bad = await call('GET', `/Users?filter=${encodeURIComponent('meta.created gt "yesterday"')}`);
        assert.equal(bad.status, 400);
        assert.equal(bad.body.scimType, 'invalidFilter');
      });
    });

    describe('what SCIM writes is what the GraphQL API reads', () => {
      const TESSERA = 'urn:ietf:params:scim:schemas:extension:tessera:2.0:User';
      const userQuery = `query ($id: ID!) { user(id: $id) { id email name status isScimManaged
        userAttributes { key value source } userGroups { id name } } }`;
      it('users: userName, displayName, active, attributes and groups, through POST, PATCH and PUT', async () => {
        const u = await newUser({
          displayName: 'Ada Lovelace',
          [TESSERA]: { tenant_id: 'acme', regions: ['DE', 'FR'] },
        });
        const g = await call('POST', '/Groups', {
          schemas: [GROUP],
          displayName: `readers${++n}`,
          members: [{ value: u.id }],
        });
        let read = (await t.gql(userQuery, { id: u.id })).body.data!.user;
        assert.equal(read.email, u.userName);
        assert.equal(read.name, 'Ada Lovelace');
        assert.equal(read.status, 'ACTIVE');
        assert.equal(read.isScimManaged, true);
        assert.deepEqual(
          read.userAttributes
            .map((a: { key: string; value: string; source: string }) => [a.key, a.value, a.source])
            .sort(),
          [
            ['display_name', 'Ada Lovelace', 'DATABASE'],
            ['regions', '["DE","FR"]', 'DATABASE'],
            ['tenant_id', 'acme', 'DATABASE'],
          ],
        );
        assert.deepEqual(read.userGroups, [{ id: g.body.id, name: g.body.displayName }]);

        const renamed = `ada${++n}@example.com`;
        const p = await patch(
          `/Users/${u.id}`,
          { op: 'Replace', path: 'active', value: 'False' },
          { op: 'replace', path: 'userName', value: renamed },
          { op: 'replace', path: `${TESSERA}:tenant_id`, value: 'globex' },
        );
        assert.equal(p.status, 200, JSON.stringify(p.body));
        read = (await t.gql(userQuery, { id: u.id })).body.data!.user;
        assert.equal(read.email, renamed);
        assert.equal(read.status, 'INACTIVE');
        assert.ok(
          read.userAttributes.some(
            (a: { key: string; value: string }) => a.key === 'tenant_id' && a.value === 'globex',
          ),
        );

        const put = await call('PUT', `/Users/${u.id}`, { schemas: [USER], userName: renamed, active: true });
        assert.equal(put.status, 200);
        read = (await t.gql(userQuery, { id: u.id })).body.data!.user;
        assert.equal(read.status, 'ACTIVE');
        assert.equal(read.name, renamed, 'PUT without displayName clears it');
        assert.deepEqual(read.userAttributes, [], 'PUT replaces the DATABASE attributes');

        assert.equal((await call('DELETE', `/Users/${u.id}`)).status, 204);
        assert.equal((await t.gql(userQuery, { id: u.id })).body.data!.user, null);
      });

      it('groups: name and members, through POST, PATCH and DELETE', async () => {
        const [a, b] = [await newUser(), await newUser()];
        const groupQuery = 'query ($id: ID!) { userGroup(id: $id) { id name members { id } } }';
        const g = await call('POST', '/Groups', {
          schemas: [GROUP],
          displayName: `team${++n}`,
          members: [{ value: a.id }],
        });
        const p = await patch(
          `/Groups/${g.body.id}`,
          { op: 'replace', value: { id: g.body.id, displayName: `team${++n}` } },
          { op: 'add', path: 'members', value: [{ value: b.id }] },
          { op: 'remove', path: `members[value eq "${a.id}"]` },
        );
        assert.equal(p.status, 200, JSON.stringify(p.body));
        const read = (await t.gql(groupQuery, { id: g.body.id })).body.data!.userGroup;
        assert.equal(read.name, p.body.displayName);
        assert.deepEqual(read.members, [{ id: b.id }]);
        assert.equal((await call('DELETE', `/Groups/${g.body.id}`)).status, 204);
        assert.equal((await t.gql(groupQuery, { id: g.body.id })).body.data!.userGroup, null);
      });
    });

    describe('authentication', () => {
      it('a revoked key, a key without scim and a malformed header are one 401 in SCIM form', async () => {
        const revoked = await t.key(['scim']);
        assert.equal((await scim(t, revoked, 'GET', '/Users')).status, 200);
        await t.app.services.accessKeys.revoke(t.workspaceId, t.app.services.accessKeys.keyIdOf(revoked)!, {
          requestId: null,
          ip: null,
          actorKeyId: null,
          actorUserId: null,
        });
        for (const [token, headers] of [
          [revoked, {}],
          [await t.key(['iam:write', 'iam:read']), {}],
          [null, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
          [null, { authorization: 'Bearer' }],
          [null, {}],
        ] as const) {
          const r = await scim(
            t,
            token,
            'POST',
            '/Users',
            { schemas: [USER], userName: `x${++n}@example.com` },
            headers,
          );
          assert.equal(r.status, 401);
          assert.equal(r.contentType, 'application/scim+json; charset=utf-8');
          assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="scim"');
          assert.deepEqual(r.body, {
            schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
            status: '401',
            detail: 'Unauthorized',
          });
        }
      });
    });

    describe('concurrent PATCHes of one resource', () => {
      it('twelve IdP requests adding one member each all land, and removals racing adds keep each other', async () => {
        const users = await Promise.all(Array.from({ length: 12 }, () => newUser()));
        const g = await call('POST', '/Groups', {
          schemas: [GROUP],
          displayName: `race${++n}`,
          members: users.slice(0, 6).map((u) => ({ value: u.id })),
        });
        const results = await Promise.all([
          ...users
            .slice(6)
            .map((u) =>
              patch(`/Groups/${g.body.id}`, { op: 'add', path: 'members', value: [{ value: u.id }] }),
            ),
          ...users
            .slice(0, 3)
            .map((u) => patch(`/Groups/${g.body.id}`, { op: 'remove', path: `members[value eq "${u.id}"]` })),
        ]);
        assert.deepEqual(
          results.map((r) => r.status),
          Array(9).fill(200),
        );
        const members = (await call('GET', `/Groups/${g.body.id}`)).body.members
          .map((m: { value: string }) => m.value)
          .sort();
        assert.deepEqual(
          members,
          users
            .slice(3)
            .map((u) => u.id)
            .sort(),
        );
      });
    });

    describe('multi-valued attributes in PATCH', () => {
      it('a value made primary turns the others primary:false (RFC 7644 §3.5.2)', async () => {
        const u = await newUser({
          emails: [
            { value: 'w@example.com', type: 'work', primary: true },
            { value: 'h@example.com', type: 'home' },
          ],
        });
        const added = await patch(`/Users/${u.id}`, {
          op: 'add',
          path: 'emails',
          value: [{ value: 'o@example.com', type: 'other', primary: true }],
        });
        assert.equal(added.status, 200, JSON.stringify(added.body));
        assert.deepEqual(
          added.body.emails.map((e: { value: string; primary?: boolean }) => [e.value, e.primary === true]),
          [
            ['w@example.com', false],
            ['h@example.com', false],
            ['o@example.com', true],
          ],
        );
        const moved = await patch(`/Users/${u.id}`, {
          op: 'replace',
          path: 'emails[type eq "home"].primary',
          value: true,
        });
        assert.equal(moved.status, 200, JSON.stringify(moved.body));
        assert.deepEqual(
          moved.body.emails
            .filter((e: { primary?: boolean }) => e.primary === true)
            .map((e: { value: string }) => e.value),
          ['h@example.com'],
        );
      });

      it('a POST or PUT with two primary values is 400 invalidValue (RFC 7643 §2.4), nothing written', async () => {
        const before = await scimRowCounts(t);
        const r = await call('POST', '/Users', {
          schemas: [USER],
          userName: `two${++n}@example.com`,
          phoneNumbers: [
            { value: '1', primary: true },
            { value: '2', primary: 'True' },
          ],
        });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.scimType, 'invalidValue');
        assert.deepEqual(await scimRowCounts(t), before);
      });

      it('one object as the value of a whole multi-valued attribute is that one value, not merged into each', async () => {
        const u = await newUser({
          emails: [
            { value: 'w1@example.com', type: 'work' },
            { value: 'h1@example.com', type: 'home' },
          ],
        });
        const added = await patch(`/Users/${u.id}`, {
          op: 'add',
          path: 'emails',
          value: { value: 'x1@example.com', type: 'other' },
        });
        assert.equal(added.status, 200, JSON.stringify(added.body));
        assert.deepEqual(
          added.body.emails.map((e: { value: string }) => e.value),
          ['w1@example.com', 'h1@example.com', 'x1@example.com'],
        );
        const replaced = await patch(`/Users/${u.id}`, {
          op: 'replace',
          path: 'emails',
          value: { value: 'only@example.com' },
        });
        assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
        assert.deepEqual(replaced.body.emails, [{ value: 'only@example.com' }]);
        const g = await call('POST', '/Groups', { schemas: [GROUP], displayName: `one${++n}` });
        const member = await patch(`/Groups/${g.body.id}`, {
          op: 'add',
          path: 'members',
          value: { value: u.id },
        });
        assert.equal(member.status, 200, JSON.stringify(member.body));
        assert.deepEqual(
          member.body.members.map((m: { value: string }) => m.value),
          [u.id],
        );
      });
    });

    describe('meta.lastModified', () => {
      it('moves with every SCIM write that changes the user or group, whatever it changes', async () => {
        const u = await newUser();
        const g = await call('POST', '/Groups', { schemas: [GROUP], displayName: `lm${++n}` });
        const created = Date.parse(u.meta.created);
        const later = async () => {
          t.clock.advance(60_000);
          return new Date(t.clock.now()).toISOString();
        };
        for (const op of [
          { op: 'replace', path: 'title', value: 'Eng' },
          { op: 'replace', path: 'name.givenName', value: 'Ada' },
          { op: 'replace', path: 'externalId', value: `x${n}` },
          { op: 'replace', path: 'active', value: false },
        ]) {
          const at = await later();
          const r = await patch(`/Users/${u.id}`, op);
          assert.equal(r.status, 200);
          assert.equal(r.body.meta.lastModified, at, `${op.path}: ${r.body.meta.lastModified}`);
          assert.equal(Date.parse(r.body.meta.created), created);
          assert.equal((await call('GET', `/Users/${u.id}`)).body.meta.lastModified, at);
        }
        const at = await later();
        const r = await patch(`/Groups/${g.body.id}`, {
          op: 'add',
          path: 'members',
          value: [{ value: u.id }],
        });
        assert.equal(r.body.meta.lastModified, at);
      });
    });

    describe('/Schemas declares what the resources carry', () => {
      it('every attribute Tessera keeps and every sub-attribute it shows is declared, with its mutability', async () => {
        const schemas = (await call('GET', '/Schemas')).body.Resources as {
          id: string;
          attributes: {
            name: string;
            mutability: string;
            returned: string;
            subAttributes?: { name: string }[];
          }[];
        }[];
        const declared = (id: string) =>
          new Map(schemas.find((x) => x.id === id)!.attributes.map((a) => [a.name, a]));
        const user = declared(USER);
        for (const name of [
          'userName',
          'name',
          'displayName',
          'nickName',
          'profileUrl',
          'title',
          'userType',
          'preferredLanguage',
          'locale',
          'timezone',
          'active',
          'password',
          'emails',
          'phoneNumbers',
          'ims',
          'photos',
          'addresses',
          'groups',
          'entitlements',
          'roles',
          'x509Certificates',
        ])
          assert.ok(user.has(name), `User schema lacks ${name}`);
        assert.equal(user.get('groups')!.mutability, 'readOnly');
        assert.equal(user.get('password')!.mutability, 'writeOnly');
        assert.equal(user.get('password')!.returned, 'never');
        const u = await newUser();
        const g = await call('POST', '/Groups', {
          schemas: [GROUP],
          displayName: `s${++n}`,
          members: [{ value: u.id }],
        });
        const members = declared(GROUP).get('members')!;
        for (const sub of Object.keys(g.body.members[0]))
          assert.ok(
            members.subAttributes!.some((a) => a.name === sub),
            `members.${sub} is not declared`,
          );
      });
    });

    describe('extension attribute paths', () => {
      const TESSERA = 'urn:ietf:params:scim:schemas:extension:tessera:2.0:User';
      it('an unknown enterprise attribute or sub-attribute, or a sub-attribute of a string, is 400 invalidPath', async () => {
        const u = await newUser({
          schemas: [USER, ENTERPRISE],
          [ENTERPRISE]: { department: 'D', manager: { value: 'm' } },
          [TESSERA]: { tenant_id: 'acme' },
        });
        const before = await call('GET', `/Users/${u.id}`);
        for (const path of [
          `${ENTERPRISE}:nope`,
          `${ENTERPRISE}:department.x`,
          `${ENTERPRISE}:manager.nope`,
          `${ENTERPRISE}:manager.value.x`,
          `${TESSERA}:tenant_id.sub`,
        ])
          for (const op of ['add', 'replace', 'remove']) {
            const r = await patch(`/Users/${u.id}`, { op, path, ...(op === 'remove' ? {} : { value: 'v' }) });
            assert.equal(r.status, 400, `${op} ${path}: ${JSON.stringify(r.body)}`);
            assert.equal(r.body.scimType, 'invalidPath', `${op} ${path}: ${JSON.stringify(r.body)}`);
          }
        const after = await call('GET', `/Users/${u.id}`);
        assert.deepEqual(after.body, before.body);
      });

      it('enterprise paths are case-insensitive, manager sub-attributes included', async () => {
        const u = await newUser({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { manager: { value: 'm' } } });
        const r = await patch(
          `/Users/${u.id}`,
          { op: 'replace', path: `${ENTERPRISE.toUpperCase()}:DEPARTMENT`, value: 'Ops' },
          { op: 'replace', path: `${ENTERPRISE}:Manager.DisplayName`, value: 'Boss' },
          { op: 'add', path: `${ENTERPRISE}:manager.$REF`, value: '../Users/m' },
        );
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(r.body[ENTERPRISE], {
          manager: { value: 'm', displayName: 'Boss', $ref: '../Users/m' },
          department: 'Ops',
        });
      });

      it('a remove of a single-valued attribute that carries a value removes it (the value is not a filter there)', async () => {
        const u = await newUser({
          schemas: [USER, ENTERPRISE],
          title: 'T',
          [ENTERPRISE]: { manager: { value: 'm' }, department: 'D' },
        });
        const r = await patch(
          `/Users/${u.id}`,
          { op: 'Remove', path: `${ENTERPRISE}:manager`, value: [{ value: 'm' }] },
          { op: 'remove', path: 'title', value: 'T' },
        );
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.title, undefined);
        assert.deepEqual(r.body[ENTERPRISE], { department: 'D' });
      });
    });

    describe('externalId', () => {
      it('is kept case-exact and not unique (docs/scim.md "Users"): a filter lists every holder', async () => {
        const a = await newUser({ externalId: `00u${n}AbC` });
        const b = await newUser({ externalId: a.externalId });
        assert.deepEqual(
          (await listed('Users', `externalId eq "${a.externalId}"`)).sort(),
          [a.id, b.id].sort(),
        );
        assert.deepEqual(await listed('Users', `externalId eq "${a.externalId.toLowerCase()}"`), []);
      });
    });
  });
}
