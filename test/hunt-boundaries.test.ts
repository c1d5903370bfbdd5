import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createUsers, STATUS } from './helpers/api.ts';
import { useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * Inputs at the edge of what the storage can represent: timestamps Date accepts but PostgreSQL
 * cannot parse, sequence cursors past bigint, request bodies that are not UTF-8. Each is refused
 * as bad input with nothing written, never a 500 (docs/limits.md).
 */

// Date parses all of these; outside the years 1–9999 it prints them as `+275760-…`.
const OUT_OF_RANGE_TIMES = [
  '+275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '+010000-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
];

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

for (const backend of testBackends()) {
  describe(`boundaries of stored values (${backend.name})`, () => {
    const t = useTestApp(backend);

    const count = async (table: 'access_keys' | 'workspaces') =>
      Number(
        (
          await t()
            .app.services.db.selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('audit since/until outside the years 1–9999 are BAD_USER_INPUT', async () => {
      for (const time of OUT_OF_RANGE_TIMES) {
        for (const field of ['since', 'until']) {
          const r = await t().gql(
            `query($f: AuditEventFilter) { auditEvents(filter: $f) { edges { cursor } } }`,
            { f: { [field]: time } },
          );
          assert.equal(r.status, 200);
          assert.equal(r.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${field}=${time}`);
        }
      }
      const r = await t().gql(
        `{ auditEvents(filter: { until: "9999-12-31T23:59:59Z" }) { edges { cursor } } }`,
      );
      assert.equal(r.body.errors, undefined);
    });

    it('an audit cursor past the bigint range is not a cursor', async () => {
      for (const after of ['9223372036854775808', '9999999999999999999']) {
        const r = await t().gql(`query($a: String) { auditEvents(after: $a) { edges { cursor } } }`, {
          a: after,
        });
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', after);
      }
      const r = await t().gql(`{ auditEvents(after: "9223372036854775807") { edges { cursor } } }`);
      assert.equal(r.body.errors, undefined);
    });

    it('an outbox cursor forged with an unstorable time is not a cursor', async () => {
      for (const time of ['+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z']) {
        const r = await t().gql(`query($a: String) { outboxMessages(after: $a) { edges { cursor } } }`, {
          a: b64url(`${time}|msg_abc`),
        });
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', time);
      }
    });

    it('createAccessKey with an expiresAt outside the years 1–9999 is refused and creates no key', async () => {
      const before = await count('access_keys');
      for (const expiresAt of OUT_OF_RANGE_TIMES) {
        const r = await t().gql(
          `mutation($i: CreateAccessKeyInput!) { createAccessKey(input: $i) { ${STATUS} token } }`,
          { i: { name: 'edge', permissions: ['iam:read'], expiresAt } },
        );
        assert.equal(r.body.errors, undefined, expiresAt);
        assert.equal(r.body.data?.createAccessKey.status.errorCode, 'BAD_USER_INPUT', expiresAt);
        assert.equal(r.body.data?.createAccessKey.token, null);
      }
      assert.equal(await count('access_keys'), before);
      const ok = await t().gql(
        `mutation { createAccessKey(input: { name: "late", permissions: ["iam:read"], expiresAt: "9999-12-31T00:00:00Z" }) { ${STATUS} } }`,
      );
      assert.equal(ok.body.data?.createAccessKey.status.code, 'OK');
    });

    it('a POST body that is not UTF-8 is 400 BAD_REQUEST and stores nothing', async () => {
      const before = await count('workspaces');
      const head = Buffer.from('{"query":"mutation { createWorkspace(input: { name: \\"a');
      const tail = Buffer.from('b\\" }) { status { code } } }"}');
      // An overlong "/", a lone continuation byte, a truncated sequence, a byte never valid in UTF-8.
      for (const bad of [[0xc0, 0xaf], [0x80], [0xe2, 0x82], [0xff]]) {
        const response = await t().app.fetch(
          new Request('http://tessera.test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${t().rootKey}` },
            body: Buffer.concat([head, Buffer.from(bad), tail]),
          }),
        );
        assert.equal(response.status, 400, String(bad));
        const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
        assert.equal(body.errors[0]?.extensions.code, 'BAD_REQUEST');
      }
      assert.equal(await count('workspaces'), before);
      // The same request in UTF-8 (with a multi-byte character) still works.
      const good = await t().app.fetch(
        new Request('http://tessera.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${t().rootKey}` },
          body: Buffer.concat([head, Buffer.from('é', 'utf8'), tail]),
        }),
      );
      assert.equal(((await good.json()) as any).data.createWorkspace.status.code, 'OK');
    });

    // The contract allows values up to 4 KiB; a btree entry holds about 2.7 KB, so such a value
    // used to fail inside PostgreSQL ("index row size exceeds btree maximum").
    it('an incompressible 4 KiB attribute value is stored as sent and found by every filter', async () => {
      const long = randomBytes(2048).toString('hex'); // 4096 bytes, nothing to compress
      const justOver = randomBytes(1025).toString('hex').slice(0, 2049); // first byte past the index bound
      const made = await createUsers(t(), {
        emails: ['long-a@example.com', 'long-b@example.com'],
        userAttributes: [{ key: 'blob', value: long }],
      });
      assert.equal(made.body.errors, undefined, JSON.stringify(made.body.errors));
      assert.equal(made.payload.status.code, 'OK');
      const set = await t().gql(
        `mutation($i: SetUserAttributesInput!) { setUserAttributes(input: $i) { ${STATUS} } }`,
        {
          i: {
            userId: made.payload.results[1]!.userId,
            userAttributes: [
              { key: 'blob', value: justOver },
              { key: 'tier', value: 'gold' },
            ],
          },
        },
      );
      assert.equal(set.body.data?.setUserAttributes.status.code, 'OK', JSON.stringify(set.body));
      await createUsers(t(), {
        emails: ['short@example.com'],
        userAttributes: [{ key: 'blob', value: 'short' }],
      });

      const emails = async (filter: Record<string, unknown>) => {
        const r = await t().gql(
          `query($f: UserFilter) { users(filter: $f, first: 10) { totalCount edges { node { email userAttributes { key value } } } } }`,
          { f: filter },
        );
        assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
        const page = r.body.data!.users;
        assert.equal(page.totalCount, page.edges.length);
        return page.edges.map((e: any) => e.node.email);
      };
      assert.deepEqual(await emails({ attribute: { key: 'blob', value: long } }), ['long-a@example.com']);
      assert.deepEqual(await emails({ attribute: { key: 'blob', value: justOver } }), ['long-b@example.com']);
      assert.deepEqual(await emails({ attribute: { key: 'blob', anyOf: [long, 'short'] } }), [
        'long-a@example.com',
        'short@example.com',
      ]);
      assert.deepEqual(await emails({ attribute: { key: 'blob' } }), [
        'long-a@example.com',
        'long-b@example.com',
        'short@example.com',
      ]);
      assert.deepEqual(
        await emails({
          attributes: [
            { key: 'blob', value: justOver },
            { key: 'tier', value: 'gold' },
          ],
        }),
        ['long-b@example.com'],
      );
      // A value that differs only in its last byte matches nobody.
      assert.deepEqual(await emails({ attribute: { key: 'blob', value: `${long.slice(0, -1)}x` } }), []);

      const stored = await t().gql(`query($id: ID!) { user(id: $id) { userAttributes { key value } } }`, {
        id: made.payload.results[0]!.userId,
      });
      assert.equal(stored.body.data?.user.userAttributes[0].value, long);
    });
  });
}
