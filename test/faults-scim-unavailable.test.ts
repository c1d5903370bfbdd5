import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createScratchPostgresDatabase, scratchBackend } from './helpers/databases.ts';
import { type FaultProxy, startFaultProxy, targetOf } from './helpers/fault-proxy.ts';

/**
 * SCIM clients (Okta, Entra ID) parse RFC 7644 error bodies and retry on 503. With Tessera's
 * database down, a SCIM request must get that: 503, Retry-After, `application/scim+json` and the
 * SCIM Error schema, not the GraphQL API's error body.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('faults: SCIM while the database is down', { skip: !adminUrl }, () => {
  let proxy: FaultProxy;
  let t: TestApp;
  let token: string;

  before(async () => {
    proxy = await startFaultProxy(targetOf(adminUrl!, 5432));
    const scratch = await createScratchPostgresDatabase(adminUrl!);
    t = await startTestApp(scratchBackend(scratch, 6, proxy));
    token = await t.key(['scim']);
  });
  after(async () => {
    await proxy?.refuse(false);
    await t?.close();
    await proxy?.close();
  });

  const scim = (path: string, init: RequestInit = {}) =>
    t.app.fetch(
      new Request(`http://tessera.test/scim/v2${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      }),
      { ip: '127.0.0.1' },
    );

  test('GET /Users and POST /Users answer a SCIM 503 with Retry-After', async () => {
    assert.equal((await scim('/Users')).status, 200);
    await proxy.refuse(true);
    proxy.cut();
    try {
      for (const init of [
        {},
        {
          method: 'POST',
          body: JSON.stringify({
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName: 'down@scim.example',
          }),
        },
      ]) {
        const r = await scim('/Users', init);
        assert.equal(r.status, 503);
        assert.equal(r.headers.get('retry-after'), '1');
        assert.match(r.headers.get('content-type') ?? '', /application\/scim\+json/);
        const body = await r.json();
        assert.deepEqual(body.schemas, [SCIM_ERROR], JSON.stringify(body));
        assert.equal(body.status, '503');
      }
    } finally {
      await proxy.refuse(false);
    }
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) status = (await scim('/Users')).status;
    assert.equal(status, 200);
  });
});
