import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROLE_IDS } from '../roles/roles.ts';
import { claimAt, claimStrings, groupsFromClaims, mappedAttributes, rolesFromClaims } from './claims.ts';

test('claim paths: exact names first (namespaced claims), then nested objects, own properties only', () => {
  const claims = JSON.parse(
    '{"https://acme.com/tier":"gold","org":{"account_id":"a1","ids":[1,2]},"__proto__":{"x":1},"flag":true}',
  );
  assert.equal(claimAt(claims, 'https://acme.com/tier'), 'gold');
  assert.equal(claimAt(claims, 'org.account_id'), 'a1');
  assert.equal(claimAt(claims, 'org.constructor'), undefined);
  assert.equal(claimAt(claims, 'org.toString'), undefined);
  assert.deepEqual(
    mappedAttributes(claims, [
      { claim: 'org.ids', attribute: 'ids' },
      { claim: 'flag', attribute: 'flag' },
      { claim: 'missing', attribute: 'gone' },
    ]),
    [
      { key: 'ids', value: '[1,2]' },
      { key: 'flag', value: 'true' },
    ],
  );
});

test('role strings: prefix, optional workspace, role, optional domain; everything else ignored with a reason', () => {
  const values = claimStrings(
    {
      roles: [
        'wisdom.administrator',
        'wisdom.explorer.domain.sales',
        'wisdom.explorer.domain.ops.eu',
        'wisdom.WS_1.viewer.domain.default',
        'wisdom.ws_2.viewer.domain.default',
        'wisdom.viewer',
        'wisdom.superuser',
        'wisdom.observer.team.x',
        'marketing_admin',
      ],
      groups: 'wisdom.basic_explorer.domain.sales',
    },
    ['roles', 'groups'],
  );
  const { assignments, ignored } = rolesFromClaims(values, 'wisdom', 'ws_1');
  assert.deepEqual(assignments, [
    { roleId: ROLE_IDS.ADMIN, scopes: [] },
    { roleId: ROLE_IDS.EXPLORER, scopes: ['sales', 'ops.eu'] },
    { roleId: ROLE_IDS.VIEWER, scopes: ['default'] },
    { roleId: ROLE_IDS.BASIC_EXPLORER, scopes: ['sales'] },
  ]);
  assert.deepEqual(
    ignored.map((i) => i.reason),
    ['another workspace', 'needs a domain', 'unknown role', 'unknown scope type'],
  );
  assert.deepEqual(rolesFromClaims(values, 'acme', 'ws_1').assignments, []);
  assert.deepEqual(
    groupsFromClaims(values, [
      { idpGroup: 'marketing_admin', groupId: 'grp_1' },
      { idpGroup: 'other', groupId: 'grp_2' },
    ]),
    ['grp_1'],
  );
});
