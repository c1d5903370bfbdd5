import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { standIn } from '../../../db/fixed-query.ts';
import type { Database } from '../../../db/index.ts';
import { compiledPageQuery, type PageRequest } from './page-plans.ts';
import { type UserFilter, userPageQuery } from './search.ts';

// Compiling needs no connection: the SQL and parameters are compared, nothing is run.
const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});
const builder = {
  build: userPageQuery,
  isLongValue: (v: string) => Buffer.byteLength(v, 'utf8') > 2048,
};

/** The same builder, counting how often the page query is built rather than taken from a plan. */
function countingBuilder() {
  const counting = {
    ...builder,
    builds: 0,
    build: (...args: Parameters<typeof userPageQuery>) => {
      counting.builds++;
      return userPageQuery(...args);
    },
  };
  return counting;
}

/** Filters of many shapes, each as two requests of that shape with different values. */
const shapes: ((n: number) => UserFilter | null)[] = [
  () => null,
  () => ({}),
  (n) => ({ attribute: { key: `tenant${n}`, value: `t-${n}` } }),
  (n) => ({ attribute: { key: 'k', anyOf: [`a${n}`, `b${n}`] } }),
  (n) => ({ attribute: { key: 'k', anyOf: [`only${n}`] } }),
  () => ({ attribute: { key: 'k', anyOf: [] } }),
  (n) => ({ attribute: { key: 'k', value: null }, status: ['ACTIVE', n ? 'PENDING' : 'SUSPENDED'] }),
  (n) => ({
    attributes: [
      { key: `a${n}`, value: '' },
      { key: 'b', anyOf: ['x', `y${n}`] },
    ],
    roleId: `role${n}`,
  }),
  (n) => ({ groupId: `grp_${n}`, status: [] }),
  (n) => ({ groupId: '', roleId: '', attribute: { key: '', value: `v${n}` } }),
  (n) => ({ attribute: { key: 'k', value: 'x'.repeat(3000) + n } }),
  (n) => ({ emailPrefix: `Ann_${n}%`, attribute: { key: 'k', value: `v${n}` } }),
  (n) => ({ attribute: { key: 'k', anyOf: ['short', 'y'.repeat(2100) + n] } }),
];

describe('users page query plans', () => {
  it('bind every filter shape to exactly the SQL and parameters a fresh build gives', () => {
    for (const [i, shape] of shapes.entries()) {
      for (const n of [1, 2, 3]) {
        const request: PageRequest = {
          filter: shape(n),
          limit: 50 + n,
          cursor: n === 2 ? [`user${n}@x.test`, `usr_${n}`] : null,
        };
        const direct = userPageQuery(db, `ws_${n}`, request).compile();
        const planned = compiledPageQuery(db, `ws_${n}`, request, builder);
        assert.equal(planned.sql, direct.sql, `shape ${i}, request ${n}`);
        assert.deepEqual(planned.parameters, direct.parameters, `shape ${i}, request ${n}`);
      }
    }
  });

  it('build a shape once, and a shape whose SQL depends on a value on every call', () => {
    const counting = countingBuilder();
    const seven = (n: number) => ({
      attributes: Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, value: `v${n}` })),
    });
    for (const n of [1, 2, 3])
      compiledPageQuery(db, 'ws', { filter: seven(n), limit: 10, cursor: null }, counting);
    assert.equal(counting.builds, 1);
    for (const n of [1, 2, 3])
      compiledPageQuery(db, 'ws', { filter: { emailPrefix: `p${n}` }, limit: 10, cursor: null }, counting);
    assert.equal(counting.builds, 4);
  });

  it('keep no plan for a shape with hundreds of values, so shapes a client varies cannot pin memory', () => {
    // 20 conditions of 1000 values each are within the request limits (docs/limits.md); kept, 256
    // such shapes held about 1 GB of SQL text and parameter slots for the life of the process.
    const counting = countingBuilder();
    const wide = (n: number) => ({
      attributes: Array.from({ length: 20 }, (_, i) => ({
        key: `k${i}`,
        anyOf: Array.from({ length: 1000 }, (_, j) => `v${n}-${j}`),
      })),
    });
    for (const n of [1, 2]) {
      const request: PageRequest = { filter: wide(n), limit: 10, cursor: null };
      const planned = compiledPageQuery(db, 'ws', request, counting);
      const direct = userPageQuery(db, 'ws', request).compile();
      assert.equal(planned.sql, direct.sql);
      assert.deepEqual(planned.parameters, direct.parameters);
    }
    // Each call built its own query: nothing of either was kept.
    assert.equal(counting.builds, 2);
  });

  it('keep no plan for a shape of hundreds of empty values either', () => {
    // An empty value stays itself in the shape instead of taking a slot, but still costs the
    // kept plan its parameter, its slot and its place in the key: a client varying how many
    // empty values it sends could otherwise pin the same gigabyte as with any other values.
    const counting = countingBuilder();
    const wide = (n: number) => ({
      attributes: Array.from({ length: 20 }, (_, i) => ({
        key: `empty${i}`,
        anyOf: Array.from({ length: 1000 - n }, () => ''),
      })),
    });
    for (const n of [1, 1, 2]) {
      const request: PageRequest = { filter: wide(n), limit: 10, cursor: null };
      const planned = compiledPageQuery(db, 'ws', request, counting);
      const direct = userPageQuery(db, 'ws', request).compile();
      assert.equal(planned.sql, direct.sql);
      assert.deepEqual(planned.parameters, direct.parameters);
    }
    assert.equal(counting.builds, 3);
  });

  it('bind adversarial requests to exactly what a fresh build gives', () => {
    // Values that could change the SQL or be taken for a stand-in: empty, LIKE and quote
    // characters, NUL, astral characters, stand-in texts, lengths either side of the 2048-byte
    // bound of the page index in 1-, 2- and 3-byte characters.
    const value = fc.oneof(
      fc.constantFrom('', ' ', '%', '_', '\\', "'", '\u0000', 'é', '😀', 'ws_1', 'null'),
      fc.constantFrom(
        standIn('workspaceId'),
        standIn('groupId'),
        standIn('cursor.0'),
        '\u0000fixed-query-slot:',
      ),
      fc.string({ maxLength: 4 }),
      fc.string({ maxLength: 3, unit: 'grapheme' }),
      fc.integer({ min: 2046, max: 2050 }).map((n) => 'x'.repeat(n)),
      fc.integer({ min: 1023, max: 1025 }).map((n) => 'é'.repeat(n)),
      fc.integer({ min: 682, max: 683 }).map((n) => '€'.repeat(n)),
    );
    const absent = <T>(a: fc.Arbitrary<T>) => fc.oneof(fc.constant(undefined), fc.constant(null), a);
    const attribute = fc.record(
      { key: value, value: absent(value), anyOf: absent(fc.array(value, { maxLength: 3 })) },
      { requiredKeys: ['key'] },
    );
    const filter = absent(
      fc.record(
        {
          emailPrefix: absent(fc.constantFrom('', 'a', '%')),
          status: absent(fc.array(fc.constantFrom('ACTIVE', 'PENDING', 'SUSPENDED', ''), { maxLength: 3 })),
          roleId: absent(value),
          groupId: absent(value),
          attribute: absent(attribute),
          attributes: absent(fc.array(attribute, { maxLength: 3 })),
        },
        { requiredKeys: [] },
      ),
    );
    const request = fc.record({
      workspaceId: value,
      filter,
      limit: fc.integer({ min: 0, max: 501 }),
      cursor: fc.option(fc.tuple(value, value), { nil: null }),
    });
    fc.assert(
      fc.property(request, (r) => {
        const page: PageRequest = {
          filter: r.filter as UserFilter | null | undefined,
          limit: r.limit,
          cursor: r.cursor,
        };
        const planned = compiledPageQuery(db, r.workspaceId, page, builder);
        const direct = userPageQuery(db, r.workspaceId, page).compile();
        assert.equal(planned.sql, direct.sql);
        assert.deepEqual(planned.parameters, direct.parameters);
      }),
      { numRuns: 3000 },
    );
  });
});
