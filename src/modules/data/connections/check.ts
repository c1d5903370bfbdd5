import { AppError } from '../../../errors.ts';
import type { PoolManager } from '../engines/pools.ts';
import { type PrivilegeFinding, privilegeFindings, type TableRef } from './privileges.ts';
import { resolveConnection } from './resolve.ts';
import { type Connection, defaultSchemaOf, isBaseSchema, type ResolvedSettings } from './types.ts';

export interface ConnectionCheck {
  /** null = the base settings. */
  readonly mappingIndex: number | null;
  readonly user: string | null;
  readonly database: string | null;
  /** The check ran and found nothing beyond reading the domains' tables. */
  readonly ok: boolean;
  /** Why the check could not run (the connection failed, a template needs attributes). */
  readonly errorCode: string | null;
  readonly message: string | null;
  readonly findings: readonly PrivilegeFinding[];
}

function checkOf(mappingIndex: number | null, settings: ResolvedSettings | null): ConnectionCheck {
  return {
    mappingIndex,
    user: settings?.user ?? null,
    database: settings?.database ?? null,
    ok: false,
    errorCode: null,
    message: null,
    findings: [],
  };
}

/**
 * Least privilege, checked (docs/data-access.md, "The warehouse role"): for the base settings
 * and each credential mapping, what its role may do beyond reading `domainTables` (listed in
 * the base schema; a mapping's schema override applies to them as at query time). A mapping
 * whose templates need attributes other than its own `attributeMatch` cannot be resolved here
 * and is reported as not checked.
 */
export async function checkConnection(
  connection: Connection,
  pools: PoolManager,
  domainTables: readonly TableRef[],
): Promise<ConnectionCheck[]> {
  const baseSchema = connection.schema ?? defaultSchemaOf(connection.engine, connection.database);
  const targets: { index: number | null; resolve: () => ResolvedSettings }[] = [
    { index: null, resolve: () => resolveConnection({ ...connection, credentialMappings: [] }, new Map()) },
    ...connection.credentialMappings.map((m, index) => ({
      index,
      resolve: () => ({
        ...resolveConnection(
          { ...connection, credentialMappings: [m], onNoMatch: 'DENY' },
          new Map(m.attributeMatch.map((a) => [a.key, a.value])),
        ),
        mappingIndex: index,
      }),
    })),
  ];
  const checks: ConnectionCheck[] = [];
  for (const target of targets) {
    let settings: ResolvedSettings | null = null;
    try {
      settings = target.resolve();
      const resolved = settings;
      const grants = await pools.use(resolved, (pool) => pool.grants());
      const tables = domainTables.map((t) => ({
        schema: isBaseSchema(connection.engine, t.schema, baseSchema) ? resolved.schema : t.schema,
        name: t.name,
      }));
      const findings = privilegeFindings(connection.engine, grants, tables);
      checks.push({ ...checkOf(target.index, settings), ok: findings.length === 0, findings });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      checks.push({
        ...checkOf(target.index, settings),
        ok: false,
        errorCode: err.code,
        message: err.message,
      });
    }
  }
  return checks;
}
