import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createApp } from '../src/app.ts';
import { runCli } from '../src/cli.ts';
import { loadConfig } from '../src/config.ts';
import { PERMISSIONS } from '../src/modules/auth/permissions.ts';
import { DEMO_DOMAIN } from '../src/modules/data/demo.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';

/** Runs one `tessera` command in-process against the data directory. */
async function tessera(env: Record<string, string>, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tessera demo and tessera policy lint', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-demo-'));
  const env = {
    TESSERA_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    TESSERA_PUBLIC_URL: 'http://tessera.test',
  };
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('demo is idempotent, and two users get different rows from the same SQL', async () => {
    const first = await tessera(env, 'demo', '--json');
    assert.equal(first.code, 0, first.err);
    const second = await tessera(env, 'demo', '--json');
    assert.equal(second.code, 0, second.err);
    const a = JSON.parse(first.out);
    const b = JSON.parse(second.out);
    assert.deepEqual(b, a); // same connection, domain and users: nothing was duplicated
    assert.equal((await tessera(env, 'demo')).out.includes(a.domainId), true);

    const app = await createApp(loadConfig(env));
    try {
      const { token: key } = await app.services.accessKeys.create(
        { workspaceId: a.workspaceId, name: 'demo', permissions: PERMISSIONS, expiresAt: null },
        null,
      );
      const gql = async (query: string, variables: Record<string, unknown>, token?: string) => {
        const response = await app.fetch(
          new Request('http://tessera.test/graphql', {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: JSON.stringify({ query, variables }),
          }),
        );
        return (await response.json()) as any;
      };
      const domains = await gql('{ domains { id name tables { name policy } } }', {}, key);
      const demo = domains.data.domains.filter((d: any) => d.name === DEMO_DOMAIN);
      assert.equal(demo.length, 1);
      assert.ok(demo[0].tables.every((t: any) => t.policy !== null));
      const rowsFor = async (email: string) => {
        const session = await gql(
          'mutation($k: String!, $e: String!) { impersonateUser(accessToken: $k, userEmail: $e) }',
          { k: key, e: email },
        );
        const r = await gql(
          'query($d: ID!) { runQuery(domainId: $d, sql: "select tenant_id, region, amount from orders order by id") { rows } }',
          { d: a.domainId },
          session.data.impersonateUser,
        );
        assert.equal(r.errors, undefined, JSON.stringify(r.errors));
        return r.data.runQuery.rows as string[][];
      };
      const alice = await rowsFor('alice@acme.example');
      const bob = await rowsFor('bob@globex.example');
      assert.deepEqual(alice, [
        ['acme', 'DE', '1200.00'],
        ['acme', 'FR', '640.50'],
        ['acme', 'DE', '310.25'],
      ]);
      assert.deepEqual(bob, [
        ['globex', 'US', '2250.00'],
        ['globex', 'US', '99.99'],
      ]);
      const users = await gql('{ listUsers { email roleAssignments { roleId scopes } } }', {}, key);
      const demoUsers = users.data.listUsers.filter((u: any) => u.email.endsWith('.example'));
      assert.equal(demoUsers.length, 3);
      for (const u of demoUsers)
        assert.deepEqual(u.roleAssignments, [{ roleId: ROLE_IDS.EXPLORER, scopes: [a.domainId] }]);
    } finally {
      await app.close();
    }
  });

  test('policy lint exits 0 when every table has a policy, 1 listing the tables that do not', async () => {
    const clean = await tessera(env, 'policy', 'lint');
    assert.equal(clean.code, 0, clean.out + clean.err);
    const app = await createApp(loadConfig(env));
    let domainId: string;
    try {
      const ws = await app.services.workspaces.ensureDefault();
      const { token } = await app.services.accessKeys.create(
        { workspaceId: ws.id, name: 'x', permissions: PERMISSIONS, expiresAt: null },
        null,
      );
      const response = await app.fetch(
        new Request('http://tessera.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            query:
              'mutation($input: CreateDomainInput!) { createDomain(input: $input) { status { code } domain { id } } }',
            variables: {
              input: {
                name: 'Open',
                connectionId: (
                  await app.services.db.selectFrom('data_connections').select('id').executeTakeFirstOrThrow()
                ).id,
                tables: [{ name: 'regions' }],
              },
            },
          }),
        }),
      );
      domainId = ((await response.json()) as any).data.createDomain.domain.id;
    } finally {
      await app.close();
    }
    const dirty = await tessera(env, 'policy', 'lint', '--json');
    assert.equal(dirty.code, 1);
    assert.deepEqual(JSON.parse(dirty.out).unprotected, [
      { domainId, domain: 'Open', schema: 'public', table: 'regions' },
    ]);
    const human = await tessera(env, 'policy', 'lint');
    assert.equal(human.code, 1);
    assert.match(human.out, /public\.regions/);
    assert.equal((await tessera(env, 'policy', 'lint', '--domain', 'dom_nope')).code, 2);
    assert.equal((await tessera(env, 'policy', 'frobnicate')).code, 2);
  });

  test('policy lint fails on a warehouse function the connection could execute, and names it', async () => {
    const clean = await tessera(
      env,
      'policy',
      'lint',
      '--json',
      '--domain',
      JSON.parse((await tessera(env, 'demo', '--json')).out).domainId,
    );
    assert.deepEqual(
      JSON.parse(clean.out).privileges.flatMap((c: any) => c.findings),
      [],
    );
    const { PGlite } = await import('@electric-sql/pglite');
    const warehouse = new PGlite(join(dataDir, 'warehouses', 'demo'));
    await warehouse.exec(
      'create function demo_total() returns bigint language sql as $$ select count(*) from orders $$',
    );
    await warehouse.close();
    const dirty = await tessera(env, 'policy', 'lint', '--json');
    assert.equal(dirty.code, 1);
    assert.deepEqual(
      JSON.parse(dirty.out).privileges.flatMap((c: any) => c.findings),
      [{ kind: 'EXECUTE_FUNCTION', object: 'public.demo_total()', privilege: 'EXECUTE' }],
    );
    assert.match(
      (await tessera(env, 'policy', 'lint')).out,
      /EXECUTE_FUNCTION\s+EXECUTE\s+public\.demo_total\(\)/,
    );
  });
});
