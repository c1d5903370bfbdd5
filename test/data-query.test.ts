import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { STATUS } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { policedDomain, runQuery, sessionFor, type Warehouse, warehouseLegs } from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

const WAREHOUSE_SQL = `
  create table regions (code varchar(8) primary key, name varchar(64) not null);
  create table customers (id int primary key, tenant_id varchar(32) not null, name varchar(64) not null, region varchar(8) not null);
  create table orders (id int primary key, tenant_id varchar(32) not null, customer_id int not null, region varchar(8) not null, amount int not null);
  create index orders_tenant on orders (tenant_id);
  create table notes (id int primary key, body varchar(64) not null);
  create table payroll (id int primary key, salary int not null);
  insert into regions values ('DE', 'Germany'), ('FR', 'France'), ('US', 'United States');
  insert into customers values (1, 't_a', 'A1', 'DE'), (2, 't_a', 'A2', 'FR'), (3, 't_b', 'B1', 'US'), (4, 't_b', 'B2', 'DE');
  insert into orders values (10, 't_a', 1, 'DE', 100), (11, 't_a', 2, 'FR', 200), (12, 't_a', 1, 'US', 300),
    (20, 't_b', 3, 'US', 1000), (21, 't_b', 4, 'DE', 2000);
  insert into notes values (1, 'shared');
  insert into payroll values (1, 99999);
`;

const MAX_ROWS = 3;

for (const leg of warehouseLegs()) {
  describe(`runQuery through the gate (${leg.engine} warehouse)`, () => {
    const data = { data: () => t.app.services.data };
    let t: TestApp;
    let wh: Warehouse;
    let domainId: string;
    const tokens: Record<string, string> = {};
    const ids: Record<string, string> = {};

    before(async () => {
      t = await startTestApp(testBackends()[0]!, {
        env: {
          TESSERA_QUERY_MAX_ROWS: String(MAX_ROWS),
          TESSERA_QUERY_TIMEOUT_MS: '1500',
          TESSERA_WAREHOUSE_DIR: 'memory',
        },
      });
      wh = await leg.open(data.data, WAREHOUSE_SQL);
      const list =
        leg.engine === 'mysql'
          ? "code IN (USER_ATTRIBUTE_STR_LIST('regions'))"
          : "code = ANY(USER_ATTRIBUTE_STR_LIST('regions'))";
      domainId = await policedDomain(t, {
        connection: wh.settings,
        name: 'sales',
        tables: ['orders', 'customers', 'regions', 'notes'],
        policies: [
          ['orders', "tenant_id = USER_ATTRIBUTE('tenant_id')"],
          ['customers', "tenant_id = USER_ATTRIBUTE('tenant_id')"],
          ['regions', list],
        ],
      });
      const explorer = [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }];
      const group = await t.gql(
        `mutation($input: CreateUserGroupInput!) { createUserGroup(input: $input) { ${STATUS} userGroup { id } } }`,
        {
          input: {
            name: 'analysts',
            roleAssignments: [{ roleId: ROLE_IDS.BASIC_EXPLORER, scopes: [domainId] }],
          },
        },
      );
      const groupId = group.body.data!.createUserGroup.userGroup.id;
      const users: [string, { roleId: string; scopes: string[] }[], [string, string][]][] = [
        [
          'alice',
          explorer,
          [
            ['tenant_id', 't_a'],
            ['regions', '["DE","FR"]'],
          ],
        ],
        [
          'bob',
          [],
          [
            ['tenant_id', 't_b'],
            ['regions', '["US"]'],
          ],
        ],
        ['vera', [{ roleId: ROLE_IDS.VIEWER, scopes: [domainId] }], [['tenant_id', 't_a']]],
        ['nora', explorer, []],
        [
          'ivan',
          explorer,
          [
            ['tenant_id', 't_a'],
            ['regions', 'DE,FR'],
          ],
        ],
        [
          'adam',
          [{ roleId: ROLE_IDS.ADMIN, scopes: [] }],
          [
            ['tenant_id', 't_a'],
            ['regions', '["DE"]'],
          ],
        ],
      ];
      for (const [name, roles, attrs] of users) {
        const s = await sessionFor(
          t,
          `${name}@${leg.engine}.test`,
          roles,
          attrs.map(([key, value]) => ({ key, value })),
        );
        tokens[name] = s.token;
        ids[name] = s.userId;
      }
      // bob reaches the domain only through his group.
      const added = await t.gql(
        `mutation($input: GroupMembersInput!) { addUsersToGroup(input: $input) { ${STATUS} } }`,
        {
          input: { groupId, userIds: [ids.bob] },
        },
      );
      assert.equal(added.body.data!.addUsersToGroup.status.code, 'OK');
    });
    after(async () => {
      await t?.close();
      await wh?.drop();
    });

    const amounts = async (who: string, sql: string) => {
      const r = await runQuery(t, tokens[who]!, domainId, sql);
      assert.equal(r.code, undefined, JSON.stringify(r.body.errors));
      return r.result!.rows;
    };
    const ordersCount = async () => Number((await wh.raw('select count(*) as n from orders'))[0]!.n);

    test('tenant A never sees tenant B rows, whatever the shape of the query', async () => {
      assert.deepEqual(await amounts('alice', 'select amount from orders order by id'), [
        [100],
        [200],
        [300],
      ]);
      assert.deepEqual(await amounts('bob', 'select amount from orders order by id'), [[1000], [2000]]);
      // count(*) is a 64-bit integer: every engine returns it as a string, so no digit is lost.
      assert.deepEqual(await amounts('alice', "select count(*) as n from orders where tenant_id = 't_b'"), [
        ['0'],
      ]);
      assert.deepEqual(
        await amounts(
          'alice',
          'select c.name, o.amount from orders o join customers c on c.id = o.customer_id order by o.id',
        ),
        [
          ['A1', 100],
          ['A2', 200],
          ['A1', 300],
        ],
      );
      assert.deepEqual(
        await amounts(
          'bob',
          'with big as (select * from orders where amount > 0) select id from big where id in (select id from orders) order by id',
        ),
        [[20], [21]],
      );
      assert.deepEqual(
        await amounts('alice', 'select tenant_id from orders union select tenant_id from customers'),
        [['t_a']],
      );
      assert.deepEqual(
        await amounts(
          'bob',
          'select name from customers c where exists (select 1 from orders o where o.customer_id = c.id) order by name',
        ),
        [['B1'], ['B2']],
      );
    });

    test('a list attribute ["DE","FR"] reads exactly DE and FR', async () => {
      assert.deepEqual(await amounts('alice', 'select code from regions order by code'), [['DE'], ['FR']]);
      assert.deepEqual(await amounts('bob', 'select code from regions order by code'), [['US']]);
    });

    test('a list attribute that is not a JSON list fails with ATTRIBUTE_TYPE_MISMATCH', async () => {
      const r = await runQuery(t, tokens.ivan!, domainId, 'select code from regions');
      assert.equal(r.code, 'ATTRIBUTE_TYPE_MISMATCH');
      assert.equal(r.body.data, null);
    });

    test('a policy attribute the user lacks fails with MISSING_ATTRIBUTE naming it', async () => {
      const r = await runQuery(t, tokens.nora!, domainId, 'select amount from orders');
      assert.equal(r.code, 'MISSING_ATTRIBUTE');
      assert.equal(r.extensions?.attribute, 'tenant_id');
    });

    test('writes, DDL and several statements are refused and nothing runs', async () => {
      const before = await ordersCount();
      for (const sql of [
        "insert into orders values (99, 't_a', 1, 'DE', 5)",
        'update orders set amount = 0',
        'delete from orders',
        'drop table orders',
        'create table evil (id int)',
        'select 1; delete from orders',
        'select amount from orders; drop table orders',
      ]) {
        const r = await runQuery(t, tokens.alice!, domainId, sql);
        assert.equal(r.code, 'QUERY_REFUSED', `${sql}: ${JSON.stringify(r.body.errors)}`);
      }
      assert.equal(await ordersCount(), before);
      assert.equal((await wh.raw('select count(*) as n from payroll'))[0]!.n !== undefined, true);
    });

    test('a table outside the domain is ACCESS_DENIED', async () => {
      const r = await runQuery(t, tokens.alice!, domainId, 'select salary from payroll');
      assert.equal(r.code, 'ACCESS_DENIED');
    });

    test('VIEWER gets FORBIDDEN, and so does an access key', async () => {
      assert.equal((await runQuery(t, tokens.vera!, domainId, 'select 1')).code, 'FORBIDDEN');
      assert.equal((await runQuery(t, t.rootKey, domainId, 'select 1')).code, 'FORBIDDEN');
    });

    test('a live session loses runQuery on its next request once its role is removed, directly or via its group', async () => {
      const setRoles = (userId: string, roleAssignments: { roleId: string; scopes: string[] }[]) =>
        t.gql(
          `mutation($input: SetUserRoleAssignmentsInput!) { setUserRoleAssignments(input: $input) { ${STATUS} } }`,
          { input: { userId, roleAssignments } },
        );
      const members = (op: 'addUsersToGroup' | 'removeUsersFromGroup', groupId: string, userId: string) =>
        t.gql(`mutation($input: GroupMembersInput!) { ${op}(input: $input) { ${STATUS} } }`, {
          input: { groupId, userIds: [userId] },
        });
      assert.equal((await runQuery(t, tokens.nora!, domainId, 'select 1 as one')).code, undefined);
      const cleared = await setRoles(ids.nora!, []);
      assert.equal(cleared.body.data!.setUserRoleAssignments.status.code, 'OK');
      try {
        assert.equal((await runQuery(t, tokens.nora!, domainId, 'select 1 as one')).code, 'FORBIDDEN');
      } finally {
        await setRoles(ids.nora!, [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }]);
      }
      assert.equal((await runQuery(t, tokens.nora!, domainId, 'select 1 as one')).code, undefined);

      // bob queries through his group only: leaving it ends that on his next request.
      const groups = await t.gql('{ userGroups { id name } }');
      const groupId = groups.body.data!.userGroups.find((g: { name: string }) => g.name === 'analysts').id;
      assert.equal((await runQuery(t, tokens.bob!, domainId, 'select 1 as one')).code, undefined);
      await members('removeUsersFromGroup', groupId, ids.bob!);
      try {
        assert.equal((await runQuery(t, tokens.bob!, domainId, 'select 1 as one')).code, 'FORBIDDEN');
      } finally {
        await members('addUsersToGroup', groupId, ids.bob!);
      }
    });

    test('an unknown or other workspace domain is NOT_FOUND', async () => {
      assert.equal((await runQuery(t, tokens.alice!, 'dom_doesnotexist', 'select 1')).code, 'NOT_FOUND');
    });

    test('transient session attributes win over stored ones', async () => {
      const { token } = await (await import('./helpers/sessions.ts')).impersonate(
        t,
        `alice@${leg.engine}.test`,
        {
          attributes: [{ key: 'tenant_id', value: 't_b' }],
        },
      );
      assert.deepEqual(
        await (async () =>
          (await runQuery(t, token!, domainId, 'select amount from orders order by id')).result!.rows)(),
        [[1000], [2000]],
      );
    });

    test('admins bypass row policies unless rowPoliciesApplyToAdmins', async () => {
      const all = await runQuery(t, tokens.adam!, domainId, 'select id from orders order by id');
      assert.equal(all.result!.rowCount, MAX_ROWS);
      assert.equal(all.result!.truncated, true); // 5 rows behind the cap of 3
      const set = await t.gql(
        `mutation($input: UpdateWorkspaceDataSettingsInput!) { updateWorkspaceDataSettings(input: $input) { ${STATUS} workspace { rowPoliciesApplyToAdmins requireRowPolicies } } }`,
        { input: { rowPoliciesApplyToAdmins: true } },
      );
      assert.deepEqual(set.body.data!.updateWorkspaceDataSettings.workspace, {
        rowPoliciesApplyToAdmins: true,
        requireRowPolicies: false,
      });
      try {
        assert.deepEqual(
          (await runQuery(t, tokens.adam!, domainId, 'select id from orders order by id')).result!.rows,
          [[10], [11], [12]],
        );
      } finally {
        await t.gql(
          'mutation { updateWorkspaceDataSettings(input: { rowPoliciesApplyToAdmins: false }) { status { code } } }',
        );
      }
    });

    test('requireRowPolicies denies tables without a policy', async () => {
      assert.deepEqual(await amounts('alice', 'select body from notes'), [['shared']]);
      await t.gql(
        'mutation { updateWorkspaceDataSettings(input: { requireRowPolicies: true }) { status { code } } }',
      );
      try {
        assert.equal(
          (await runQuery(t, tokens.alice!, domainId, 'select body from notes')).code,
          'ACCESS_DENIED',
        );
        assert.deepEqual(await amounts('alice', 'select amount from orders order by id'), [
          [100],
          [200],
          [300],
        ]);
      } finally {
        await t.gql(
          'mutation { updateWorkspaceDataSettings(input: { requireRowPolicies: false }) { status { code } } }',
        );
      }
    });

    test('the row cap truncates and says so; a result of exactly the cap is not truncated', async () => {
      const exact = await runQuery(t, tokens.alice!, domainId, 'select id from orders');
      assert.equal(exact.result!.rowCount, 3);
      assert.equal(exact.result!.truncated, false);
      const more = await runQuery(
        t,
        tokens.alice!,
        domainId,
        'select o.id, c.id from orders o cross join customers c',
      );
      assert.equal(more.result!.rowCount, MAX_ROWS);
      assert.equal(more.result!.truncated, true);
      assert.deepEqual(
        more.result!.columns.map((c) => c.name),
        ['id', 'id'],
      );
    });

    test('one audit record per query: user, actor key, SQL, hashes, outcome', async () => {
      const sql = 'select amount from orders order by id';
      const ok = await runQuery(t, tokens.alice!, domainId, sql);
      const refused = await runQuery(t, tokens.alice!, domainId, 'delete from orders');
      const bobRun = await runQuery(t, tokens.bob!, domainId, sql);
      // A query that ran gains its outcome just after its answer (docs/data-access.md).
      await t.app.services.auditTrail.outcomesWritten();
      const events = await t.app.services.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'data.query')
        .execute();
      const byQuery = (id: string | undefined) => events.filter((e) => (e.details as any).queryId === id);
      const [event] = byQuery(ok.result!.queryId);
      assert.ok(event);
      assert.equal(byQuery(ok.result!.queryId).length, 1);
      assert.equal(event.actor_user_id, ids.alice);
      assert.equal(event.actor_key_id, t.rootKey.split('_')[1]); // the key that started the session
      assert.equal(event.outcome, 'SUCCESS');
      assert.equal(event.target_id, domainId);
      const d = event.details as any;
      assert.equal(d.sql, sql);
      assert.match(d.rewrittenSqlSha256, /^[0-9a-f]{64}$/);
      assert.match(d.attributesSha256, /^[0-9a-f]{64}$/);
      assert.equal(d.rowCount, 3);
      const bobEvent = byQuery(bobRun.result!.queryId)[0]!.details as any;
      assert.notEqual(bobEvent.attributesSha256, d.attributesSha256);
      assert.equal(refused.code, 'QUERY_REFUSED');
      const failures = events.filter(
        (e) => e.outcome === 'FAILURE' && (e.details as any).sql === 'delete from orders',
      );
      assert.ok(failures.length >= 1);
      assert.equal((failures.at(-1)!.details as any).errorCode, 'QUERY_REFUSED');
    });

    test('query parameters are bound for the calling user, never spliced', async () => {
      const run = (sql: string, parameters: Record<string, string | number | string[]>) =>
        data.data().queries.run({
          caller: { workspaceId: t.workspaceId, userId: ids.alice!, transientAttributes: new Map() },
          domainId,
          sql,
          parameters,
          origin: { actorKeyId: null, actorUserId: null, requestId: null, ip: null },
          at: () => new Date(),
        });
      const rows = async (sql: string, parameters: Record<string, string | number | string[]>) =>
        (await run(sql, parameters)).rows.map((r) => r.map(Number));
      const sql = 'select amount from orders where region in ({{regions}}) and amount >= {{min}} order by id';
      assert.deepEqual(await rows(sql, { regions: ['DE', 'US'], min: 100 }), [[100], [300]]);
      assert.deepEqual(await rows(sql, { regions: ['US'], min: 0, unused: 'x' }), [[300]]);
      // Bob's rows stay out of reach whatever the values say.
      assert.deepEqual(await rows(sql, { regions: ["US' OR '1'='1", 'DE'], min: 1000 }), []);
      await assert.rejects(run(sql, { regions: ['DE'] }), { code: 'BAD_USER_INPUT' });
    });

    test('a query past the statement timeout fails with QUERY_TIMEOUT', {
      skip: leg.engine === 'pglite' ? 'PGlite cannot interrupt a running statement (documented)' : false,
    }, async () => {
      const joins = Array.from({ length: 16 }, (_, i) => `orders o${i}`).join(' cross join ');
      const started = Date.now();
      const r = await runQuery(t, tokens.adam!, domainId, `select count(*) as n from ${joins}`);
      assert.equal(r.code, 'QUERY_TIMEOUT', JSON.stringify(r.body));
      assert.ok(Date.now() - started < 60_000);
      // The pool is still usable afterwards.
      assert.deepEqual(await amounts('alice', 'select amount from orders order by id'), [
        [100],
        [200],
        [300],
      ]);
    });
  });
}
