import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Instances, startInstances } from './helpers/instances.ts';
import { IMPERSONATE } from './helpers/sessions.ts';

const STATUS = 'status { code errorCode }';
const pgUrl = process.env.TEST_DATABASE_URL;

describe('attribute definitions on two instances of one PostgreSQL', {
  skip: pgUrl ? false : 'TEST_DATABASE_URL is not set',
}, () => {
  let i: Instances;
  before(async () => {
    i = await startInstances(pgUrl!, 2);
  });
  after(async () => {
    await i?.close();
  });

  test('a definition made on one instance applies on the next request of the other', async () => {
    const created = await i.gql(
      0,
      `mutation { createUsers(input: { emails: ["inst@acme.test"], userAttributes: [{ key: "tenant_id", value: "acme" }] }) { ${STATUS} } }`,
    );
    assert.equal(created.body.data.createUsers.status.code, 'OK');
    const impersonate = (instance: number) =>
      i.gql(
        instance,
        IMPERSONATE,
        {
          accessToken: i.rootKey,
          userEmail: 'inst@acme.test',
          attributes: [{ key: 'tenant_id', value: 'globex' }],
        },
        { token: null },
      );
    const token = (await impersonate(1)).body.data?.impersonateUser as string;
    assert.ok(token);
    const effective = async (instance: number) =>
      (await i.gql(instance, 'query { effectiveAttributes { key value source } }', {}, { token })).body.data
        .effectiveAttributes;
    assert.deepEqual(await effective(1), [{ key: 'tenant_id', value: 'globex', source: 'TRANSIENT' }]);

    const defined = await i.gql(
      0,
      `mutation { defineAttribute(input: { key: "tenant_id", type: STRING, transientOverride: NEVER }) { ${STATUS} } }`,
    );
    assert.equal(defined.body.data.defineAttribute.status.code, 'OK');
    assert.deepEqual(await effective(1), [{ key: 'tenant_id', value: 'acme', source: 'DATABASE' }]);
    assert.equal((await impersonate(1)).body.errors?.[0]?.extensions?.code, 'ATTRIBUTE_OVERRIDE_REFUSED');

    await i.gql(0, `mutation { deleteAttributeDefinition(input: { key: "tenant_id" }) { ${STATUS} } }`);
    assert.deepEqual(await effective(1), [{ key: 'tenant_id', value: 'globex', source: 'TRANSIENT' }]);
  });
});
