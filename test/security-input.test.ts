import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUsers, rowCounts, STATUS, setUserAttributes, VIEWER } from './helpers/api.ts';
import { useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

/** docs/security.md §4: every rejected input names the bad item and leaves the database exactly as it was. */
for (const backend of testBackends()) {
  describe(`rejected input changes nothing (${backend.name})`, () => {
    const t = useTestApp(backend);

    const badEmails: [string, string][] = [
      ['empty', ''],
      ['only whitespace', '   '],
      ['no @', 'alice.example.com'],
      ['320+ characters', `${'a'.repeat(64)}@${'b'.repeat(250)}.com`],
      ['local part over 64', `${'a'.repeat(65)}@x.com`],
      ['unicode', 'ålice@exämple.com'],
      ['inner whitespace', 'al ice@x.com'],
      ['control character', 'al\u0000ice@x.com'],
      ['two @', 'a@b@c.com'],
      ['no domain dot', 'alice@localhost'],
    ];
    for (const [label, email] of badEmails) {
      it(`email: ${label}`, async () => {
        const before = await rowCounts(t());
        const r = await createUsers(t(), {
          emails: ['good@x.com', email],
          roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        });
        assert.equal(r.payload.status.code, 'ERROR');
        assert.equal(r.payload.status.errorCode, 'BAD_USER_INPUT');
        assert.equal(r.payload.status.problems.length, 1);
        assert.equal(r.payload.status.problems[0]!.field, 'emails[1]');
        assert.deepEqual(r.payload.results, []);
        assert.deepEqual(await rowCounts(t()), before, 'the good email was not created either');
      });
    }

    const badAttributes: [string, { key: string; value: string }[], string][] = [
      ['reserved key sub', [{ key: 'sub', value: 'x' }], 'userAttributes[0].key'],
      [
        'reserved key impersonated_user_id',
        [{ key: 'impersonated_user_id', value: 'x' }],
        'userAttributes[0].key',
      ],
      ['reserved key in other case', [{ key: 'EMAIL', value: 'x' }], 'userAttributes[0].key'],
      ['bad key syntax', [{ key: '1abc', value: 'x' }], 'userAttributes[0].key'],
      ['key with space', [{ key: 'a b', value: 'x' }], 'userAttributes[0].key'],
      ['key of 65 chars', [{ key: `k${'a'.repeat(64)}`, value: 'x' }], 'userAttributes[0].key'],
      ['value over 4 KiB', [{ key: 'big', value: 'é'.repeat(2049) }], 'userAttributes[0].value'],
      ['NUL byte in value', [{ key: 'nul', value: 'a\u0000b' }], 'userAttributes[0].value'],
      [
        'duplicate key',
        [
          { key: 'dup', value: '1' },
          { key: 'dup', value: '2' },
        ],
        'userAttributes[1].key',
      ],
      ['101 keys', Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: 'v' })), 'userAttributes'],
    ];
    for (const [label, attrs, field] of badAttributes) {
      it(`createUsers attributes: ${label}`, async () => {
        const before = await rowCounts(t());
        const r = await createUsers(t(), { emails: ['attr-victim@x.com'], userAttributes: attrs });
        assert.equal(r.payload.status.errorCode, 'BAD_USER_INPUT');
        assert.ok(
          r.payload.status.problems.some((p) => p.field === field),
          JSON.stringify(r.payload.status.problems),
        );
        assert.deepEqual(await rowCounts(t()), before);
      });
      it(`setUserAttributes: ${label}`, async () => {
        const { payload } = await createUsers(t(), {
          emails: ['attr-target@x.com'],
          userAttributes: [{ key: 'keep', value: 'me' }],
        });
        const before = await rowCounts(t());
        const r = await setUserAttributes(t(), payload.results[0]!.userId, attrs);
        assert.equal(r.status.code, 'ERROR');
        assert.equal(r.status.errorCode, 'BAD_USER_INPUT');
        assert.deepEqual(await rowCounts(t()), before);
      });
    }

    it('accepts exactly 100 keys and a 4 KiB value (the limits are inclusive)', async () => {
      const attrs = Array.from({ length: 100 }, (_, i) => ({
        key: `k${i}`,
        value: i === 0 ? 'x'.repeat(4096) : 'v',
      }));
      const r = await createUsers(t(), { emails: ['limits@x.com'], userAttributes: attrs });
      assert.equal(r.payload.status.code, 'OK');
    });

    it('`__proto__` and `constructor` are ordinary attribute keys', async () => {
      const r = await createUsers(t(), {
        emails: ['proto@x.com'],
        userAttributes: [
          { key: '__proto__', value: 'p' },
          { key: 'constructor', value: 'c' },
        ],
      });
      assert.equal(r.payload.status.code, 'OK');
      assert.deepEqual(r.payload.users[0].userAttributes.map((a: any) => a.key).sort(), [
        '__proto__',
        'constructor',
      ]);
    });

    it('names every bad item at once and writes nothing: bad email, unknown role, unknown domain, unknown group', async () => {
      const before = await rowCounts(t());
      const r = await createUsers(t(), {
        emails: ['ok@x.com', 'nope'],
        roleAssignments: [
          { roleId: 'role-x', scopes: ['default'] },
          { roleId: VIEWER, scopes: ['domain_456'] },
        ],
        userGroupIds: ['grp_missing'],
      });
      const fields = r.payload.status.problems.map((p) => p.field).sort();
      assert.deepEqual(fields, [
        'emails[1]',
        'roleAssignments[0].roleId',
        'roleAssignments[1].scopes[0]',
        'userGroupIds[0]',
      ]);
      assert.deepEqual(await rowCounts(t()), before);
    });

    it('more than 1000 emails in one call is refused', async () => {
      const before = await rowCounts(t());
      const emails = Array.from({ length: 1001 }, (_, i) => `bulk${i}@x.com`);
      const r = await createUsers(t(), { emails });
      assert.equal(r.payload.status.errorCode, 'BAD_USER_INPUT');
      assert.match(r.payload.status.message, /1000/);
      assert.deepEqual(await rowCounts(t()), before);
    });

    it('unknown input fields fail validation (no mass assignment)', async () => {
      const before = await rowCounts(t());
      const r = await t().gql(
        `mutation($input: CreateUsersInput!) { createUsers(input: $input) { ${STATUS} } }`,
        {
          input: { emails: ['mass@x.com'], isScimManaged: true },
        },
      );
      assert.equal(r.status, 400);
      assert.equal(r.body.errors![0]!.extensions!.code, 'BAD_REQUEST');
      assert.deepEqual(await rowCounts(t()), before);
    });

    it('an unknown workspaceID is status ERROR "Workspace not found"', async () => {
      const r = await createUsers(t(), { emails: ['ws@x.com'], workspaceID: 'workspace_123' });
      assert.deepEqual([r.payload.status.code, r.payload.status.message], ['ERROR', 'Workspace not found']);
    });
  });
}
