import type { Grant } from '../engines/privileges.ts';
import type { Engine } from './types.ts';

/**
 * What a connection's credentials may do beyond reading its domains' tables
 * (docs/data-access.md, "The warehouse role"). The gate is the first barrier; the role is the
 * second, so each finding is a way a gate defect would turn into a leak or a write.
 */
export type FindingKind = 'READ_OUTSIDE_DOMAIN' | 'WRITE' | 'EXECUTE_FUNCTION' | 'ADMIN';

export interface PrivilegeFinding {
  readonly kind: FindingKind;
  /** `schema.table`, `schema.function(args)`, a schema or database, `*.*`, or the role. */
  readonly object: string;
  readonly privilege: string;
}

export interface TableRef {
  readonly schema: string;
  readonly name: string;
}

const PG_ROLE_KINDS: Readonly<Record<string, FindingKind>> = {
  pg_read_all_data: 'READ_OUTSIDE_DOMAIN',
  pg_read_server_files: 'READ_OUTSIDE_DOMAIN',
  pg_write_all_data: 'WRITE',
  pg_write_server_files: 'WRITE',
  pg_execute_server_program: 'WRITE',
};

// biome-ignore format: a compact word list reads better than one name a line
const MYSQL_WRITES = new Set([
  'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'ALTER', 'INDEX', 'TRIGGER', 'EVENT', 'REFERENCES',
  'FILE', 'DELETE HISTORY', 'CREATE VIEW', 'CREATE ROUTINE', 'ALTER ROUTINE', 'CREATE TABLESPACE',
  'LOCK TABLES', 'ALL PRIVILEGES',
]);
/** Session-local or descriptive only: temporary tables vanish with the session. */
const MYSQL_HARMLESS = new Set(['USAGE', 'SHOW VIEW', 'CREATE TEMPORARY TABLES', 'SHOW DATABASES']);

/**
 * Findings for `grants` of one set of credentials, given the tables of the connection's domains.
 * PGlite warehouses run as the embedded server's only (all-powerful) role, which no setting can
 * change, and no other client reaches them: writes there are stopped by the read-only
 * transaction alone, so only reads outside the domains and callable functions are reported.
 */
export function privilegeFindings(
  engine: Engine,
  grants: readonly Grant[],
  domainTables: readonly TableRef[],
): PrivilegeFinding[] {
  const fold = (s: string) => (engine === 'mysql' ? s.toLowerCase() : s);
  const inDomain = new Set(domainTables.map((t) => JSON.stringify([fold(t.schema), fold(t.name)])));
  const isDomain = (schema: string | null, name: string) =>
    inDomain.has(JSON.stringify([fold(schema ?? ''), fold(name)]));
  const found = new Map<string, PrivilegeFinding>();
  const add = (kind: FindingKind, object: string, privilege: string) =>
    found.set(JSON.stringify([kind, object, privilege]), { kind, object, privilege });
  const qualified = (g: Grant) => (g.schema === null ? g.name : `${g.schema}.${g.name}`);

  for (const g of grants) {
    if (engine === 'mysql') mysqlFinding(g, grants, isDomain, add);
    else if (g.object === 'function') add('EXECUTE_FUNCTION', qualified(g), g.privilege);
    else if (g.object === 'table' && g.privilege === 'SELECT') {
      if (!isDomain(g.schema, g.name)) add('READ_OUTSIDE_DOMAIN', qualified(g), g.privilege);
    } else if (engine === 'pglite') {
      // See above: the embedded role's writes and attributes are not the operator's to change.
    } else if (g.object === 'role') {
      add(g.privilege === 'MEMBER' ? (PG_ROLE_KINDS[g.name] ?? 'ADMIN') : 'ADMIN', g.name, g.privilege);
    } else add('WRITE', qualified(g), g.privilege);
  }
  return [...found.values()];
}

function mysqlFinding(
  g: Grant,
  all: readonly Grant[],
  isDomain: (schema: string | null, name: string) => boolean,
  add: (kind: FindingKind, object: string, privilege: string) => void,
): void {
  const p = g.privilege.toUpperCase();
  const object =
    g.object === 'server' ? '*.*' : g.object === 'schema' ? `${g.name}.*` : `${g.schema}.${g.name}`;
  if (g.object === 'function') add('EXECUTE_FUNCTION', object, 'EXECUTE');
  else if (p === 'VISIBLE' || MYSQL_HARMLESS.has(p)) {
    // visibility is not a privilege; the harmless ones are session-local or descriptive
  } else if (p === 'EXECUTE') add('EXECUTE_FUNCTION', object, p);
  else if (p !== 'SELECT') add(MYSQL_WRITES.has(p) ? 'WRITE' : 'ADMIN', object, p);
  else if (g.object === 'server') add('READ_OUTSIDE_DOMAIN', object, p);
  else if (g.object === 'table') {
    if (!isDomain(g.schema, g.name)) add('READ_OUTSIDE_DOMAIN', object, p);
  } else {
    // A database-wide SELECT: each table it covers that no domain holds.
    for (const t of all) {
      const covered = t.privilege === 'VISIBLE' && t.schema?.toLowerCase() === g.name.toLowerCase();
      if (covered && !isDomain(t.schema, t.name))
        add('READ_OUTSIDE_DOMAIN', `${t.schema}.${t.name}`, `SELECT (on ${object})`);
    }
  }
}
