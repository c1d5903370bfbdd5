import type mysql from 'mysql2/promise';

/**
 * One thing the session's role may do, as the server's catalog states it (read-only queries of
 * the catalog; nothing is tried). `schema`/`name` name the object: a table, sequence, schema,
 * database, function (`name` holds its signature), or the role / `*` for server-wide grants.
 */
export interface Grant {
  readonly object: 'role' | 'table' | 'sequence' | 'schema' | 'database' | 'function' | 'server';
  readonly schema: string | null;
  readonly name: string;
  readonly privilege: string;
}

const PG_SYSTEM = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'`;

/**
 * PostgreSQL (and PGlite): role attributes, memberships in the predefined roles that read or
 * write beyond grants, table and column privileges, sequence updates, CREATE on schemas and on
 * the database, and EXECUTE on every function outside the system schemas (where PUBLIC has it
 * by default). `has_*_privilege` answers for the current role with its memberships.
 */
export const POSTGRES_GRANTS_SQL = `
  select 'role' as object, null as schema, r.rolname as name, a.privilege
    from pg_catalog.pg_roles r,
      lateral (values ('SUPERUSER', r.rolsuper), ('BYPASSRLS', r.rolbypassrls),
        ('CREATEROLE', r.rolcreaterole), ('CREATEDB', r.rolcreatedb)) a(privilege, granted)
    where r.rolname = current_user and a.granted
  union all
  select 'role', null, b.rolname, 'MEMBER' from pg_catalog.pg_roles b
    where b.rolname in ('pg_read_all_data', 'pg_write_all_data', 'pg_read_server_files',
        'pg_write_server_files', 'pg_execute_server_program', 'pg_signal_backend')
      and pg_catalog.pg_has_role(current_user, b.oid, 'USAGE')
  union all
  select 'table', n.nspname, c.relname, p.privilege
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace,
      lateral (values ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'), ('REFERENCES'),
        ('TRIGGER')) p(privilege)
    where c.relkind in ('r', 'p', 'v', 'm', 'f') and ${PG_SYSTEM}
      and case when p.privilege in ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
        then pg_catalog.has_any_column_privilege(c.oid, p.privilege)
        else pg_catalog.has_table_privilege(c.oid, p.privilege) end
  union all
  select 'sequence', n.nspname, c.relname, 'UPDATE'
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where ${PG_SYSTEM} -- CASE: the planner may evaluate an AND's operands in any order
      and case when c.relkind = 'S' then pg_catalog.has_sequence_privilege(c.oid, 'UPDATE') else false end
  union all
  select 'schema', null, n.nspname, 'CREATE' from pg_catalog.pg_namespace n
    where ${PG_SYSTEM} and pg_catalog.has_schema_privilege(n.oid, 'CREATE')
  union all
  select 'database', null, pg_catalog.current_database(), 'CREATE'
    where pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE')
  union all
  select 'function', n.nspname,
      p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', 'EXECUTE'
    from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    where ${PG_SYSTEM} and pg_catalog.has_function_privilege(p.oid, 'EXECUTE')
  order by 1, 2, 3, 4`;

export function grantsFromRows(rows: readonly Record<string, unknown>[]): Grant[] {
  return rows.map((r) => ({
    object: String(r.object) as Grant['object'],
    schema: r.schema === null || r.schema === undefined ? null : String(r.schema),
    name: String(r.name),
    privilege: String(r.privilege),
  }));
}

const MYSQL_SYSTEM = `('mysql', 'information_schema', 'performance_schema', 'sys')`;

/**
 * MySQL/MariaDB: the current account's grants from information_schema (server-wide, per
 * database, per table, per column; also those of its enabled roles), the tables each
 * database-wide grant covers, and the stored routines it can see (which it may execute or owns).
 */
export async function mysqlGrants(c: mysql.PoolConnection): Promise<Grant[]> {
  const query = async (sql: string, params: unknown[] = []) =>
    (await c.query<mysql.RowDataPacket[]>(sql, params))[0];
  const [me] = await query(
    "select concat('''', substring_index(current_user(), '@', 1), '''@''', substring_index(current_user(), '@', -1), '''') as g",
  );
  const grantees = [String(me?.g)];
  try {
    for (const r of await query('select role_name from information_schema.enabled_roles'))
      grantees.push(`'${String(r.role_name)}'`, `'${String(r.role_name)}'@'%'`);
  } catch {
    // A server without role support: the account's own grants are all there is.
  }
  const grants: Grant[] = [];
  for (const r of await query(
    'select privilege_type as p from information_schema.user_privileges where grantee in (?)',
    [grantees],
  ))
    grants.push({ object: 'server', schema: null, name: '*', privilege: String(r.p) });
  for (const r of await query(
    `select table_schema as s, privilege_type as p from information_schema.schema_privileges
      where grantee in (?) and table_schema not in ${MYSQL_SYSTEM}`,
    [grantees],
  ))
    grants.push({ object: 'schema', schema: null, name: String(r.s), privilege: String(r.p) });
  for (const r of await query(
    `select table_schema as s, table_name as t, privilege_type as p from information_schema.table_privileges
      where grantee in (?)
     union select table_schema, table_name, privilege_type from information_schema.column_privileges
      where grantee in (?)`,
    [grantees, grantees],
  ))
    grants.push({ object: 'table', schema: String(r.s), name: String(r.t), privilege: String(r.p) });
  for (const r of await query(
    `select table_schema as s, table_name as t from information_schema.tables where table_schema not in ${MYSQL_SYSTEM}`,
  ))
    grants.push({ object: 'table', schema: String(r.s), name: String(r.t), privilege: 'VISIBLE' });
  for (const r of await query(
    `select routine_schema as s, routine_name as n, routine_type as k from information_schema.routines
      where routine_schema not in ${MYSQL_SYSTEM}`,
  ))
    grants.push({ object: 'function', schema: String(r.s), name: `${r.n} (${r.k})`, privilege: 'EXECUTE' });
  return grants;
}
