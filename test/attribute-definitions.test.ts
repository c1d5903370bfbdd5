import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { createUsers, rowCounts, STATUS, setUserAttributes } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { policedDomain, runQuery, type Warehouse, warehouseLegs } from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';
import { impersonate } from './helpers/sessions.ts';

const DEFINE = `mutation($input: DefineAttributeInput!) {
  defineAttribute(input: $input) { ${STATUS} attributeDefinition { key type pattern allowedValues precedence transientOverride } }
}`;
const DELETE = `mutation($input: DeleteAttributeDefinitionInput!) { deleteAttributeDefinition(input: $input) { ${STATUS} } }`;
const EFFECTIVE = `query { effectiveAttributes { key value source overridden { source value }
  rule { declared type precedence transientOverride } ignored { source value reason } } }`;

const define = async (t: TestApp, input: Record<string, unknown>, token?: string) =>
  (await t.gql(DEFINE, { input }, token)).body.data?.defineAttribute;

const WAREHOUSE_SQL = `
  create table orders (id int primary key, tenant_id varchar(32) not null, amount int not null);
  insert into orders values (1, 'acme', 10), (2, 'acme', 20), (3, 'globex', 1000);
`;

for (const backend of testBackends()) {
  describe(`attribute definitions (${backend.name})`, () => {
    const data = { data: () => t.app.services.data };
    let t: TestApp;
    let wh: Warehouse;
    let domainId: string;

    before(async () => {
      t = await startTestApp(backend, { env: { TESSERA_WAREHOUSE_DIR: 'memory' } });
      wh = await warehouseLegs()[0]!.open(data.data, WAREHOUSE_SQL);
      domainId = await policedDomain(t, {
        connection: wh.settings,
        name: 'sales',
        tables: ['orders'],
        policies: [['orders', "tenant_id = USER_ATTRIBUTE('tenant_id')"]],
      });
      const alice = await createUsers(t, {
        emails: ['alice@acme.test'],
        roleAssignments: [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
        userAttributes: [
          { key: 'tenant_id', value: 'acme' },
          { key: 'regions', value: '["DE","FR"]' },
        ],
      });
      assert.equal(alice.payload.status.code, 'OK');
    });
    after(async () => {
      await wh?.drop();
      await t?.close();
    });

    test('define, list and delete need iam:write / iam:read; bad definitions are refused', async () => {
      const reader = await t.key(['iam:read']);
      const refused = await t.gql(DEFINE, { input: { key: 'plan', type: 'STRING' } }, reader);
      assert.equal(refused.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const made = await define(t, { key: 'plan', type: 'ENUM', allowedValues: ['free', 'pro'] });
      assert.equal(made.status.code, 'OK', JSON.stringify(made.status));
      assert.deepEqual(made.attributeDefinition, {
        key: 'plan',
        type: 'ENUM',
        pattern: null,
        allowedValues: ['free', 'pro'],
        precedence: 'TRANSIENT_FIRST',
        transientOverride: 'ANY',
      });
      const listed = await t.gql('query { attributeDefinitions { key type } }', {}, reader);
      assert.deepEqual(listed.body.data?.attributeDefinitions, [{ key: 'plan', type: 'ENUM' }]);
      for (const bad of [
        { key: 'plan2', type: 'ENUM' },
        { key: 'n', type: 'INT', pattern: '\\d+' },
        { key: 's', type: 'STRING', pattern: '(' },
        { key: 'email', type: 'STRING' },
        { key: '1bad', type: 'STRING' },
      ]) {
        const r = await define(t, bad);
        assert.equal(r.status.errorCode, 'BAD_USER_INPUT', JSON.stringify(bad));
      }
      const deleted = await t.gql(DELETE, { input: { key: 'plan' } });
      assert.equal(deleted.body.data!.deleteAttributeDefinition.status.code, 'OK');
      const again = await t.gql(DELETE, { input: { key: 'plan' } });
      assert.equal(again.body.data!.deleteAttributeDefinition.status.code, 'NOT_FOUND');
    });

    test('writes of a declared key with the wrong type fail with ATTRIBUTE_TYPE_MISMATCH, nothing written', async () => {
      assert.equal((await define(t, { key: 'seats', type: 'INT' })).status.code, 'OK');
      assert.equal(
        (await define(t, { key: 'tier', type: 'ENUM', allowedValues: ['gold', 'silver'] })).status.code,
        'OK',
      );
      assert.equal(
        (await define(t, { key: 'teams', type: 'STRING_LIST', pattern: '[a-z]+' })).status.code,
        'OK',
      );
      const before = await rowCounts(t);
      const created = await createUsers(t, {
        emails: ['bob@acme.test', 'carol@acme.test'],
        userAttributes: [
          { key: 'seats', value: 'ten' },
          { key: 'tier', value: 'bronze' },
          { key: 'teams', value: '["ok","Not-OK"]' },
          { key: 'free_text', value: 'anything' },
        ],
      });
      assert.equal(created.payload.status.code, 'ERROR');
      assert.equal(created.payload.status.errorCode, 'ATTRIBUTE_TYPE_MISMATCH');
      assert.deepEqual(
        created.payload.status.problems.map((p) => [p.code, p.field, p.item]),
        [
          ['ATTRIBUTE_TYPE_MISMATCH', 'userAttributes[0].value', 'seats'],
          ['ATTRIBUTE_TYPE_MISMATCH', 'userAttributes[1].value', 'tier'],
          ['ATTRIBUTE_TYPE_MISMATCH', 'userAttributes[2].value', 'teams'],
        ],
      );
      assert.deepEqual(await rowCounts(t), before);

      const ok = await createUsers(t, {
        emails: ['bob@acme.test'],
        userAttributes: [
          { key: 'seats', value: '10' },
          { key: 'tier', value: 'gold' },
          { key: 'teams', value: '["ok"]' },
        ],
      });
      assert.equal(ok.payload.status.code, 'OK', JSON.stringify(ok.payload.status));
      const bobId = ok.payload.results[0]!.userId;
      const afterOk = await rowCounts(t);
      const set = await setUserAttributes(t, bobId, [{ key: 'seats', value: '1.5' }]);
      assert.equal(set.status.errorCode, 'ATTRIBUTE_TYPE_MISMATCH');
      assert.equal(set.status.problems[0]!.item, 'seats');
      assert.deepEqual(await rowCounts(t), afterOk);
      const stored = await t.app.services.users.storedAttributes([bobId]);
      assert.deepEqual(
        stored.get(bobId)!.map((a) => `${a.key}=${a.value}`),
        ['seats=10', 'teams=["ok"]', 'tier=gold'],
      );
    });

    test('the tenant_id=globex attack: with NEVER on tenant_id the impersonation is refused and runQuery never sees it', async () => {
      // Undeclared, the compat rule lets a transient value win: the attack works.
      const attack = await impersonate(t, 'alice@acme.test', {
        attributes: [{ key: 'tenant_id', value: 'globex' }],
      });
      assert.ok(attack.token);
      const leaked = await runQuery(
        t,
        attack.token,
        domainId,
        'select id, tenant_id from orders order by id',
      );
      assert.deepEqual(leaked.result?.rows, [[3, 'globex']]);

      const declared = await define(t, { key: 'tenant_id', type: 'STRING', transientOverride: 'NEVER' });
      assert.equal(declared.status.code, 'OK');
      // The token issued before the definition: the next request already ignores its override.
      const later = await runQuery(t, attack.token, domainId, 'select id, tenant_id from orders order by id');
      assert.deepEqual(later.result?.rows, [
        [1, 'acme'],
        [2, 'acme'],
      ]);
      const shown = await t.gql(EFFECTIVE, {}, attack.token);
      const tenant = shown.body.data!.effectiveAttributes.find((a: { key: string }) => a.key === 'tenant_id');
      assert.deepEqual(tenant, {
        key: 'tenant_id',
        value: 'acme',
        source: 'DATABASE',
        overridden: [],
        rule: { declared: true, type: 'STRING', precedence: 'TRANSIENT_FIRST', transientOverride: 'NEVER' },
        ignored: [{ source: 'TRANSIENT', value: 'globex', reason: 'TRANSIENT_REFUSED' }],
      });

      // A new impersonation asking for it is refused, with a stable code naming the key.
      const refused = await impersonate(t, 'alice@acme.test', {
        attributes: [{ key: 'tenant_id', value: 'globex' }],
      });
      assert.equal(refused.token, undefined);
      assert.equal(refused.status, 200);
      const error = refused.body.errors?.[0];
      assert.equal(error?.extensions?.code, 'ATTRIBUTE_OVERRIDE_REFUSED');
      assert.deepEqual(error?.extensions?.attributes, ['tenant_id']);
      // Even the same value is an override NEVER refuses; no transient value at all is fine.
      const same = await impersonate(t, 'alice@acme.test', {
        attributes: [{ key: 'tenant_id', value: 'acme' }],
      });
      assert.equal(same.body.errors?.[0]?.extensions?.code, 'ATTRIBUTE_OVERRIDE_REFUSED');
      const plain = await impersonate(t, 'alice@acme.test');
      assert.ok(plain.token);
      const own = await runQuery(t, plain.token, domainId, 'select count(*) as n from orders');
      assert.equal(Number(own.result?.rows[0]?.[0]), 2);

      // Deleting the definition restores the compat behaviour on the next request.
      await t.gql(DELETE, { input: { key: 'tenant_id' } });
      const back = await runQuery(t, attack.token, domainId, 'select id from orders order by id');
      assert.deepEqual(back.result?.rows, [[3]]);
    });

    test('NARROW_ONLY: a sub-list or the same scalar is accepted, a wider list or another value refused', async () => {
      assert.equal(
        (await define(t, { key: 'regions', type: 'STRING_LIST', transientOverride: 'NARROW_ONLY' })).status
          .code,
        'OK',
      );
      assert.equal(
        (await define(t, { key: 'tenant_id', type: 'STRING', transientOverride: 'NARROW_ONLY' })).status.code,
        'OK',
      );
      const narrowed = await impersonate(t, 'alice@acme.test', {
        attributes: [
          { key: 'regions', value: '["DE"]' },
          { key: 'tenant_id', value: 'acme' },
        ],
      });
      assert.ok(narrowed.token, JSON.stringify(narrowed.body));
      const shown = await t.gql(EFFECTIVE, {}, narrowed.token);
      const regions = shown.body.data!.effectiveAttributes.find((a: { key: string }) => a.key === 'regions');
      assert.deepEqual([regions.source, regions.value], ['TRANSIENT', '["DE"]']);
      for (const attributes of [
        [{ key: 'regions', value: '["DE","US"]' }],
        [{ key: 'tenant_id', value: 'globex' }],
        [{ key: 'regions', value: 'DE' }],
      ]) {
        const r = await impersonate(t, 'alice@acme.test', { attributes });
        assert.equal(r.token, undefined);
        assert.ok(
          ['ATTRIBUTE_OVERRIDE_REFUSED', 'ATTRIBUTE_TYPE_MISMATCH'].includes(
            r.body.errors?.[0]?.extensions?.code,
          ),
          JSON.stringify(r.body),
        );
      }
      const wrongType = await impersonate(t, 'alice@acme.test', {
        attributes: [{ key: 'regions', value: 'DE' }],
      });
      assert.equal(wrongType.body.errors?.[0]?.extensions?.code, 'ATTRIBUTE_TYPE_MISMATCH');
      await t.gql(DELETE, { input: { key: 'regions' } });
      await t.gql(DELETE, { input: { key: 'tenant_id' } });
    });
  });
}
