import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSchema, graphql } from 'graphql';
import { checkFieldAccess, guardFieldAccess } from './field-access.ts';
import type { Principal } from './principal.ts';

const key = (...permissions: string[]): Principal =>
  ({ kind: 'accessKey', keyId: 'k', workspaceId: 'w', permissions: new Set(permissions) }) as Principal;
const session = { kind: 'session', userId: 'u', workspaceId: 'w' } as Principal;

test('a root field without a declaration stops the server from starting', () => {
  const schema = buildSchema('type Query { health: String, brandNew: String }');
  assert.throws(
    () => guardFieldAccess(schema, { Query: { health: 'public' } }),
    /Query\.brandNew declares no access/,
  );
});

test('a declared field runs its check before its resolver', async () => {
  const schema = buildSchema('type Query { secret: String }');
  let ran = false;
  schema.getQueryType()!.getFields().secret!.resolve = () => {
    ran = true;
    return 'data';
  };
  guardFieldAccess(schema, { Query: { secret: { keys: ['iam:read'] } } });
  const r = await graphql({ schema, source: '{ secret }', contextValue: { principal: key('scim') } });
  assert.equal(r.data?.secret, null);
  assert.equal(ran, false);
  const ok = await graphql({ schema, source: '{ secret }', contextValue: { principal: key('iam:read') } });
  assert.equal(ok.data?.secret, 'data');
});

test('scim grants nothing in GraphQL; a session only where the table opens it', () => {
  assert.throws(() => checkFieldAccess('anyCredential', key('scim')), /grants nothing/);
  assert.doesNotThrow(() => checkFieldAccess('anyCredential', key('impersonate')));
  assert.throws(() => checkFieldAccess({ keys: ['iam:read'] }, session), /not open to a user session/);
  assert.doesNotThrow(() => checkFieldAccess({ keys: ['data:admin'], sessions: true }, session));
  assert.throws(() => checkFieldAccess('session', key('iam:write')), /needs a user session/);
  assert.throws(() => checkFieldAccess({ keys: ['iam:read'] }, null), /Unauthorized/);
  assert.doesNotThrow(() => checkFieldAccess('public', null));
});
