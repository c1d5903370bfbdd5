import { AppError } from '../../errors.ts';

/** The query is not one read-only statement the gate can fully account for (fail closed). */
export function queryRefused(message: string, extra: Record<string, unknown> = {}): AppError {
  return new AppError('QUERY_REFUSED', message, { extra });
}

/** The query reads a table outside the domain, a system catalog, or an unprotected table. */
export function accessDenied(message: string, extra: Record<string, unknown> = {}): AppError {
  return new AppError('ACCESS_DENIED', message, { extra });
}

/** Schemas (Postgres) and databases (MySQL) that hold server metadata: never readable. */
export const SYSTEM_SCHEMAS: Readonly<Record<'postgres' | 'mysql', ReadonlySet<string>>> = {
  postgres: new Set(['pg_catalog', 'information_schema', 'pg_toast']),
  mysql: new Set(['mysql', 'information_schema', 'performance_schema', 'sys']),
};
