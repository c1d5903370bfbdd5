import assert from 'node:assert/strict';
import { test } from 'node:test';
import { laneOf } from './lane.ts';

const post = (query: string, operationName?: string) =>
  laneOf(JSON.stringify({ query, ...(operationName ? { operationName } : {}) }), new URLSearchParams());

test('only an operation made of impersonateUser alone gets the reserved connections', () => {
  const impersonate = 'impersonateUser(accessToken: "k", userEmail: "a@b.c")';
  assert.equal(post(`mutation { ${impersonate} }`), 'reserved');
  assert.equal(post(`{ ${impersonate} }`), 'reserved', 'the compat Query field too');
  assert.equal(post(`mutation { a: ${impersonate} b: ${impersonate} }`), 'reserved');
  assert.equal(
    laneOf(null, new URLSearchParams({ query: `{ ${impersonate} }` })),
    'reserved',
    'GET with the query in the URL',
  );
});

test('a slow request cannot borrow the reserve by naming impersonateUser', () => {
  const impersonate = 'impersonateUser(accessToken: "k", userEmail: "a@b.c")';
  assert.equal(post('{ listUsers { id } } # impersonateUser'), 'main', 'in a comment');
  assert.equal(post('{ impersonateUser: listUsers { id } }'), 'main', 'as an alias');
  assert.equal(
    post(`mutation { ${impersonate} createUsers(input: { emails: [] }) { status { code } } }`),
    'main',
  );
  assert.equal(post(`query A { listUsers { id } } mutation B { ${impersonate} }`, 'A'), 'main');
  assert.equal(
    post(`query A { listUsers { id } } mutation B { ${impersonate} }`),
    'main',
    'no operation chosen',
  );
  assert.equal(post(`mutation B { ${impersonate} } query A { listUsers { id } }`, 'B'), 'reserved');
  assert.equal(
    post(`fragment F on Mutation { ${impersonate} } mutation { ...F }`),
    'main',
    'through a fragment',
  );
  assert.equal(post('{ "impersonateUser" '), 'main', 'unparsable');
  assert.equal(laneOf('not json impersonateUser', new URLSearchParams()), 'main');
});
