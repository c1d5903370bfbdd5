import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledQuery, sql } from 'kysely';
import { createUsers } from '../../../../test/helpers/api.ts';
import { useTestApp } from '../../../../test/helpers/app.ts';
import { testBackends } from '../../../../test/helpers/databases.ts';
import { userPageQuery } from './search.ts';

const origin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };

const PAGE = `query($filter: UserFilter, $after: String) {
  users(first: 2, filter: $filter, after: $after) {
    edges { node { email } } pageInfo { hasNextPage endCursor } totalCount
  }
}`;

for (const backend of testBackends()) {
  describe(`users filtered by attribute (${backend.name})`, () => {
    const t = useTestApp(backend);

    /** Every page of a filter, following the cursors. */
    async function allPages(filter: Record<string, unknown>): Promise<{ emails: string[]; total: number }> {
      const emails: string[] = [];
      let after: string | null = null;
      let total = -1;
      for (;;) {
        const r: { body: { data?: any; errors?: unknown } } = await t().gql(PAGE, { filter, after });
        assert.equal(r.body.errors, undefined);
        const users: any = r.body.data!.users;
        emails.push(...users.edges.map((e: any) => e.node.email));
        total = users.totalCount;
        if (!users.pageInfo.hasNextPage) return { emails, total };
        after = users.pageInfo.endCursor;
      }
    }

    it('pages through each matching user once, in email order, whichever source holds the value', async () => {
      const red = await createUsers(t(), {
        emails: ['e@f.test', 'a@f.test', 'C@f.test', 'b@f.test', 'd@f.test'],
        userAttributes: [{ key: 'team', value: 'red' }],
      });
      const blue = await createUsers(t(), {
        emails: ['g@f.test', 'h@f.test'],
        userAttributes: [{ key: 'team', value: 'blue' }],
      });
      const id = (r: typeof red, email: string) => r.payload.results.find((x) => x.email === email)!.userId;
      const users = t().app.services.users;
      // Same key and value from both sources: still one row in the page.
      await users.setJwtAttributes(
        t().workspaceId,
        id(red, 'b@f.test'),
        [{ key: 'team', value: 'red' }],
        origin,
      );
      // Red only through an identity provider.
      await users.setJwtAttributes(
        t().workspaceId,
        id(blue, 'h@f.test'),
        [{ key: 'team', value: 'red' }],
        origin,
      );
      // Attributes written after the user exists carry its email too (setUserAttributes).
      await users.setAttributes(
        t().workspaceId,
        id(blue, 'g@f.test'),
        [{ key: 'team', value: 'red' }],
        origin,
      );

      const expected = ['a@f.test', 'b@f.test', 'c@f.test', 'd@f.test', 'e@f.test', 'g@f.test', 'h@f.test'];
      const byValue = await allPages({ attribute: { key: 'team', value: 'red' } });
      assert.deepEqual(byValue, {
        emails: expected.map((e) => (e === 'c@f.test' ? 'C@f.test' : e)),
        total: 7,
      });
      // anyOf with several values takes the other plan; the answer is the same.
      const byAnyOf = await allPages({ attribute: { key: 'team', anyOf: ['red', 'none'] } });
      assert.deepEqual(byAnyOf, byValue);

      await users.setStatus(t().workspaceId, id(red, 'd@f.test'), 'SUSPENDED', origin);
      const activeRed = await allPages({ status: ['ACTIVE'], attributes: [{ key: 'team', value: 'red' }] });
      assert.deepEqual(activeRed.emails, [
        'a@f.test',
        'b@f.test',
        'C@f.test',
        'e@f.test',
        'g@f.test',
        'h@f.test',
      ]);
      const redAndBlue = await allPages({
        attributes: [
          { key: 'team', value: 'red' },
          { key: 'team', value: 'blue' },
        ],
      });
      // h holds red (JWT) and blue (DATABASE).
      assert.deepEqual(redAndBlue, { emails: ['h@f.test'], total: 1 });
      assert.deepEqual(await allPages({ attribute: { key: 'team', value: 'green' } }), {
        emails: [],
        total: 0,
      });
    });

    it("another workspace's users never appear in a filtered page", async () => {
      const other = await t().app.services.workspaces.create('Other', origin);
      await t().app.services.users.createUsers(
        other.id,
        { emails: ['0@f.test'], userAttributes: [{ key: 'team', value: 'red' }] },
        origin,
      );
      const page = await allPages({ attribute: { key: 'team', value: 'red' } });
      assert.ok(!page.emails.includes('0@f.test'));
    });

    if (backend.name === 'postgres') {
      it('the filtered first page is an ordered scan of user_attributes_filter_page, with no sort', async () => {
        const db = t().app.services.db;
        const ws = (await t().app.services.workspaces.create('Plan', origin)).id;
        // Enough users, with statistics, that the planner's choice is the one production sees.
        await db.transaction().execute(async (tx) => {
          await sql`
            insert into users (id, workspace_id, email, email_normalized)
            select 'usr_plan' || i, ${ws}, 'p' || i || '@plan.test', 'p' || i || '@plan.test'
            from generate_series(1, 20000) as i`.execute(tx);
          await sql`
            insert into user_attributes (user_id, source, key, value)
            select 'usr_plan' || i, 'DATABASE', k.key, k.key || '-' || (i % 100)
            from generate_series(1, 20000) as i cross join (values ('tenant'), ('region')) as k(key)`.execute(
            tx,
          );
        });
        await sql`analyze users, user_attributes`.execute(db);
        const query = userPageQuery(db, ws, {
          filter: { attribute: { key: 'tenant', value: 'tenant-7' } },
          limit: 51,
          cursor: null,
        }).compile();
        const result = await db.executeQuery<any>(
          CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]),
        );
        const nodes = flatten(result.rows[0]['QUERY PLAN'][0].Plan);
        assert.ok(
          nodes.some((n) => n['Index Name'] === 'user_attributes_filter_page'),
          JSON.stringify(result.rows[0]['QUERY PLAN']),
        );
        assert.ok(!nodes.some((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Seq Scan'));
        // And it answers: the 200 users of tenant-7, first 51 in email order.
        const rows = await userPageQuery(db, ws, {
          filter: { attribute: { key: 'tenant', value: 'tenant-7' } },
          limit: 51,
          cursor: null,
        }).execute();
        assert.equal(rows.length, 51);
        const emails = rows.map((r) => r.email_normalized);
        assert.deepEqual(emails, [...emails].sort());
      });

      it('20 attribute conditions (the request limit) plan as one intersection of index scans', async () => {
        const db = t().app.services.db;
        const ws = (await t().app.services.workspaces.create('Many conditions', origin)).id;
        // Every user holds all 20 keys: the worst case, where no condition narrows the others.
        await db.transaction().execute(async (tx) => {
          // 100,000 attribute rows: seeding, not a request, so no request's statement timeout.
          await sql`set local statement_timeout = 0`.execute(tx);
          await sql`
            insert into users (id, workspace_id, email, email_normalized)
            select 'usr_many' || i, ${ws}, 'm' || i || '@many.test', 'm' || i || '@many.test'
            from generate_series(1, 5000) as i`.execute(tx);
          await sql`
            insert into user_attributes (user_id, source, key, value)
            select 'usr_many' || i, 'DATABASE', 'k' || k, 'v' || (i % 2)
            from generate_series(1, 5000) as i cross join generate_series(0, 19) as k`.execute(tx);
        });
        await sql`analyze users, user_attributes`.execute(db);
        const attributes = Array.from({ length: 20 }, (_, k) =>
          k % 2 ? { key: `k${k}`, anyOf: ['v0', 'v1'] } : { key: `k${k}` },
        );
        const query = userPageQuery(db, ws, { filter: { attributes }, limit: 51, cursor: null }).compile();
        const result = await db.executeQuery<any>(
          CompiledQuery.raw(`explain (analyze, format json) ${query.sql}`, [...query.parameters]),
        );
        const plan = result.rows[0]['QUERY PLAN'][0];
        const nodes = flatten(plan.Plan);
        const joins = nodes.filter((n) => /Join|Nested Loop/.test(n['Node Type']));
        // One semi-join per condition made the planner search join orders over all of them
        // (0.5 s at 60 conditions, 28 s at 200); an intersection is planned in linear time. The
        // plan's shape says which one it is; its planning time would only say how busy the
        // machine was.
        assert.ok(
          nodes.some((n) => n['Node Type'] === 'SetOp'),
          JSON.stringify(plan),
        );
        assert.ok(joins.length <= 2, `${joins.length} joins`);
        assert.ok(
          !nodes.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'user_attributes'),
        );
        const rows = await userPageQuery(db, ws, {
          filter: { attributes },
          limit: 51,
          cursor: null,
        }).execute();
        assert.equal(rows.length, 51);
      });
    }
  });
}

function flatten(plan: any): any[] {
  return [plan, ...(plan.Plans ?? []).flatMap(flatten)];
}
