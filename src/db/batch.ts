import { sql } from 'kysely';

/** Rows per INSERT so that rows × columns stays well under Postgres' 65,535 bind parameters. */
export function chunksFor<T>(rows: readonly T[], columns: number, maxParams = 30_000): T[][] {
  const size = Math.max(1, Math.floor(maxParams / columns));
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
  return chunks;
}

/**
 * `column = any($1::text[])`: a list of any length as ONE array parameter. An `in ($1, …, $n)`
 * list breaks past Postgres' 65,535 bind parameters (listUsers of a 70k-user workspace) and costs
 * a parameter per id to bind and parse at every size.
 */
export const anyText = (values: readonly string[]) => sql<string>`any(${[...values]}::text[])`;
