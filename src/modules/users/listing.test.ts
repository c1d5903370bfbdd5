import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { ADMIN, createUsers, EXPLORER, STATUS, USER_FIELDS, VIEWER } from '../../../test/helpers/api.ts';
import { useTestApp } from '../../../test/helpers/app.ts';
import { type TestBackend, testBackends } from '../../../test/helpers/databases.ts';
import { isoFromUtcText, utcText } from '../../db/iso-text.ts';

/**
 * listUsers reads its users shaped for the response (timestamps as text, related rows attached:
 * listing.ts); every other read of a user goes through a Date and the request's loaders. Both
 * must give the same bytes.
 */

/** The backend with every PostgreSQL session in another time zone than UTC. */
const inTimeZone = (backend: TestBackend, zone: string): TestBackend => ({
  name: backend.name,
  open: async () => {
    const opened = await backend.open();
    if (opened.database.kind !== 'postgres') return opened;
    const url = new URL(opened.database.url);
    url.searchParams.set('options', `-c TimeZone=${zone}`);
    return { ...opened, database: { ...opened.database, url: url.toString() } };
  },
});

const backends = testBackends().flatMap((b) =>
  b.name === 'postgres' ? [b, inTimeZone(b, 'Asia/Kolkata')] : [b],
);

/** Stored timestamps, as written, and the API's form of each. */
const CREATED = [
  ['2024-02-29 23:59:59+00', '2024-02-29T23:59:59.000Z'],
  ['2024-01-01 00:00:00.5+00', '2024-01-01T00:00:00.500Z'],
  ['2025-06-30 12:34:56.123456+00', '2025-06-30T12:34:56.123Z'],
  ['2025-06-30 12:34:56.999999+00', '2025-06-30T12:34:56.999Z'],
  ['0999-12-31 23:59:59.04+00', '0999-12-31T23:59:59.040Z'],
  ['2030-06-01 12:00:00.25+05:30', '2030-06-01T06:30:00.250Z'],
] as const;
const LAST_ACTIVE = [null, '2025-01-01 00:00:00.001+00', null, '1970-01-01 00:00:00+00', null, null] as const;

for (const [index, backend] of backends.entries()) {
  describe(`listUsers answers what reads of each user answer (${backend.name}${index > 1 ? ', session in Asia/Kolkata' : ''})`, () => {
    const t = useTestApp(backend);
    let ids: string[] = [];

    /** The raw body of a request: JSON compared as bytes, not as parsed values. */
    const body = async (query: string, variables: Record<string, unknown> = {}) => {
      const response = await t().app.fetch(
        new Request('http://tessera.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${t().rootKey}` },
          body: JSON.stringify({ query, variables }),
        }),
        { ip: '127.0.0.1' },
      );
      assert.equal(response.status, 200);
      return response.text();
    };
    /** listUsers' body, and the body the same users make read one at a time. */
    const listedAndOneByOne = async (fields = USER_FIELDS) => {
      const listed = await body(`query { listUsers { ${fields} } }`);
      const each: string[] = [];
      for (const id of ids) {
        const one = await body(`query($id: ID!) { user(id: $id) { ${fields} } }`, { id });
        const prefix = '{"data":{"user":';
        assert.ok(one.startsWith(prefix) && one.endsWith('}}'));
        each.push(one.slice(prefix.length, -2));
      }
      return { listed, oneByOne: `{"data":{"listUsers":[${each.join(',')}]}}` };
    };

    it('setup: users with both attribute sources, direct, claimed and inherited roles, groups, set timestamps', async () => {
      const g = await t().gql(
        `mutation($i: CreateUserGroupInput!) { createUserGroup(input: $i) { ${STATUS} userGroup { id } } }`,
        { i: { name: 'Listed', roleAssignments: [{ roleId: EXPLORER, scopes: ['default'] }] } },
      );
      const groupId = g.body.data!.createUserGroup.userGroup.id;
      const full = await createUsers(t(), {
        emails: ['ana@listing.test', 'ben@listing.test'],
        roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        userAttributes: [
          { key: 'display_name', value: 'Ana "the first" \\ ü' },
          { key: 'tenant', value: 't1' },
        ],
        userGroupIds: [groupId],
      });
      const some = await createUsers(t(), {
        emails: ['cyd@listing.test', 'dee@listing.test'],
        userAttributes: [{ key: 'region', value: 'eu' }],
      });
      const bare = await createUsers(t(), { emails: ['eve@listing.test', 'fay@listing.test'] });
      ids = [...full.payload.results, ...some.payload.results, ...bare.payload.results].map((r) => r.userId);
      assert.equal(ids.length, CREATED.length);

      const { services } = t().app;
      const origin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };
      // JWT attributes beside DATABASE ones (one with the same key), and a role from claims.
      await services.db.transaction().execute((tx) =>
        services.users.applySignIn(
          tx,
          {
            workspaceId: t().workspaceId,
            userId: ids[0]!,
            attributes: [
              { key: 'display_name', value: 'From the IdP' },
              { key: 'a_first', value: 'x' },
            ],
            claimRoles: [{ roleId: ADMIN, scopes: ['default'] }],
          },
          origin,
        ),
      );
      await services.db.transaction().execute((tx) =>
        services.users.applySignIn(
          tx,
          {
            workspaceId: t().workspaceId,
            userId: ids[4]!,
            attributes: [{ key: 'only_jwt', value: 'y' }],
            claimRoles: null,
          },
          origin,
        ),
      );
      for (const [i, id] of ids.entries()) {
        await sql`update users set created_at = ${CREATED[i]![0]}::timestamptz,
          last_active_session_at = ${LAST_ACTIVE[i] ?? null}::timestamptz where id = ${id}`.execute(
          services.db,
        );
      }
    });

    it('every User field is the same bytes listed as read one by one', async () => {
      const { listed, oneByOne } = await listedAndOneByOne();
      assert.equal(listed, oneByOne);
      const users = JSON.parse(listed).data.listUsers as any[];
      assert.deepEqual(
        users.map((u) => u.creationTimestamp),
        CREATED.map((c) => c[1]),
      );
      assert.deepEqual(
        users.map((u) => u.lastActiveSessionTimestamp),
        [null, '2025-01-01T00:00:00.001Z', null, '1970-01-01T00:00:00.000Z', null, null],
      );
      assert.equal(users[0].name, 'Ana "the first" \\ ü');
      assert.deepEqual(
        users[0].userAttributes.map((a: any) => `${a.source}:${a.key}`),
        ['DATABASE:display_name', 'DATABASE:tenant', 'JWT:a_first', 'JWT:display_name'],
      );
      assert.deepEqual(
        users[0].roleAssignments.map((r: any) => [r.roleId, r.scopes, r.inheritedFromGroupId !== null]),
        [
          [VIEWER, ['default'], false],
          [ADMIN, ['default'], false],
          [EXPLORER, ['default'], true],
        ],
      );
      assert.deepEqual(users[4].userAttributes, [{ key: 'only_jwt', value: 'y', source: 'JWT' }]);
      assert.deepEqual(
        [users[5].userAttributes, users[5].roleAssignments, users[5].userGroups],
        [[], [], []],
      );
    });

    it('partial selections, fragments and role sources are the same bytes too', async () => {
      for (const fields of [
        'email name',
        'id creationTimestamp lastActiveSessionTimestamp',
        'roleAssignments { roleId source } userGroups { name }',
        `... on User { ${USER_FIELDS} } userAttributes { source }`,
      ]) {
        const { listed, oneByOne } = await listedAndOneByOne(fields);
        assert.equal(listed, oneByOne, fields);
      }
    });

    it('a related row out of the users order still reaches its own user', async () => {
      // A stale copy of the email (as if the user were renamed between the listing's statements)
      // sorts this user's attributes last: the walk in step with the users cannot place them.
      const db = t().app.services.db;
      await sql`update user_attributes set email_normalized = 'zzz' where user_id = ${ids[0]!}`.execute(db);
      try {
        const { listed, oneByOne } = await listedAndOneByOne();
        assert.equal(listed, oneByOne);
      } finally {
        await sql`update user_attributes a set email_normalized = u.email_normalized from users u
          where u.id = a.user_id`.execute(db);
      }
    });

    it('a timestamp read as UTC text is what the driver makes of it, for every kind of value', async () => {
      const db = t().app.services.db;
      const parse = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => Date;
      const { rows } = await sql<{ text: string; utc: string }>`
        select t::text as text, ${utcText('t')} as utc from (
          select '1970-01-01 00:00:00+00'::timestamptz + i * interval '7919.123457 seconds' as t
          from generate_series(0, 2000) as i
          union all select unnest(array['0001-01-01 00:00:00+00', '0099-06-15 10:00:00.1+00',
            '9999-12-31 23:59:59.999999+00', '10000-01-01 00:00:00+00', '0044-03-15 12:00:00.5+00 BC',
            '2024-02-29 12:00:00.000001+00']::timestamptz[])
        ) as s(t)`.execute(db);
      for (const r of rows) {
        assert.equal(isoFromUtcText(r.utc), parse(r.text).toISOString(), r.text);
      }
    });
  });
}
