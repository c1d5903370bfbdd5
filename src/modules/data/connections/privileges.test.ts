import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Grant } from '../engines/privileges.ts';
import { privilegeFindings } from './privileges.ts';

const grant = (object: Grant['object'], schema: string | null, name: string, privilege: string): Grant => ({
  object,
  schema,
  name,
  privilege,
});
const domain = [{ schema: 'public', name: 'orders' }];

test('PostgreSQL: reads of the domain pass; other reads, writes, functions and role powers are findings', () => {
  const findings = privilegeFindings(
    'postgres',
    [
      grant('table', 'public', 'orders', 'SELECT'),
      grant('table', 'public', 'secrets', 'SELECT'),
      grant('table', 'public', 'orders', 'UPDATE'),
      grant('sequence', 'public', 'orders_id_seq', 'UPDATE'),
      grant('schema', null, 'public', 'CREATE'),
      grant('function', 'public', 'leak()', 'EXECUTE'),
      grant('role', null, 'pg_read_all_data', 'MEMBER'),
      grant('role', null, 'pg_signal_backend', 'MEMBER'),
      grant('role', null, 'reader', 'SUPERUSER'),
    ],
    domain,
  );
  assert.deepEqual(findings, [
    { kind: 'READ_OUTSIDE_DOMAIN', object: 'public.secrets', privilege: 'SELECT' },
    { kind: 'WRITE', object: 'public.orders', privilege: 'UPDATE' },
    { kind: 'WRITE', object: 'public.orders_id_seq', privilege: 'UPDATE' },
    { kind: 'WRITE', object: 'public', privilege: 'CREATE' },
    { kind: 'EXECUTE_FUNCTION', object: 'public.leak()', privilege: 'EXECUTE' },
    { kind: 'READ_OUTSIDE_DOMAIN', object: 'pg_read_all_data', privilege: 'MEMBER' },
    { kind: 'ADMIN', object: 'pg_signal_backend', privilege: 'MEMBER' },
    { kind: 'ADMIN', object: 'reader', privilege: 'SUPERUSER' },
  ]);
});

test('PGlite: only reads outside the domains and callable functions (the embedded role is fixed)', () => {
  const findings = privilegeFindings(
    'pglite',
    [
      grant('role', null, 'postgres', 'SUPERUSER'),
      grant('table', 'public', 'orders', 'INSERT'),
      grant('table', 'public', 'notes', 'SELECT'),
      grant('function', 'public', 'f(integer)', 'EXECUTE'),
    ],
    domain,
  );
  assert.deepEqual(
    findings.map((f) => f.kind),
    ['READ_OUTSIDE_DOMAIN', 'EXECUTE_FUNCTION'],
  );
});

test('MySQL: table-by-table SELECT passes; wider grants are split into what they reach', () => {
  const findings = privilegeFindings(
    'mysql',
    [
      grant('server', null, '*', 'USAGE'),
      grant('server', null, '*', 'PROCESS'),
      grant('table', 'Shop', 'ORDERS', 'SELECT'),
      grant('schema', null, 'shop', 'SELECT'),
      grant('schema', null, 'shop', 'CREATE TEMPORARY TABLES'),
      grant('schema', null, 'shop', 'INSERT'),
      grant('table', 'shop', 'orders', 'VISIBLE'),
      grant('table', 'shop', 'secrets', 'VISIBLE'),
      grant('function', 'shop', 'leak (FUNCTION)', 'EXECUTE'),
    ],
    [{ schema: 'shop', name: 'orders' }],
  );
  assert.deepEqual(findings, [
    { kind: 'ADMIN', object: '*.*', privilege: 'PROCESS' },
    { kind: 'READ_OUTSIDE_DOMAIN', object: 'shop.secrets', privilege: 'SELECT (on shop.*)' },
    { kind: 'WRITE', object: 'shop.*', privilege: 'INSERT' },
    { kind: 'EXECUTE_FUNCTION', object: 'shop.leak (FUNCTION)', privilege: 'EXECUTE' },
  ]);
});
