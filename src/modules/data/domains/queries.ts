import type { Insertable, Updateable } from 'kysely';
import type { Executor } from '../../../db/index.ts';
import type { DataDomainsTable } from '../../../db/schema.ts';
import { groupsWithScope } from '../../groups/queries.ts';
import { usersWithScope } from '../../users/queries/users.ts';
import { BUILT_IN_DOMAIN_ID } from './built-in.ts';

export interface DomainTable {
  readonly schema: string;
  readonly name: string;
  readonly policy: string | null;
}

export interface DomainView {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly description: string;
  readonly connectionId: string | null;
  readonly tables: readonly DomainTable[];
  /** The built-in `default` domain every workspace has (docs/api-contract.md §4): it cannot be deleted. */
  readonly isBuiltIn: boolean;
  readonly createdAt: Date | null;
  readonly updatedAt: Date | null;
}

/** The built-in domain as it looks before anyone bound it to a connection. */
export const builtInDomain = (workspaceId: string): DomainView => ({
  id: BUILT_IN_DOMAIN_ID,
  workspaceId,
  name: 'Default',
  description: 'The built-in domain of the workspace.',
  connectionId: null,
  tables: [],
  isBuiltIn: true,
  createdAt: null,
  updatedAt: null,
});

export async function loadDomains(
  db: Executor,
  workspaceId: string,
  ids: readonly string[] | null,
): Promise<DomainView[]> {
  let q = db.selectFrom('data_domains').selectAll().where('workspace_id', '=', workspaceId);
  if (ids) {
    if (ids.length === 0) return [];
    q = q.where('id', 'in', ids);
  }
  const rows = await q.orderBy('name').orderBy('id').execute();
  if (rows.length === 0) return [];
  const tables = await db
    .selectFrom('data_domain_tables')
    .select(['domain_id', 'schema_name', 'table_name', 'policy'])
    .where('workspace_id', '=', workspaceId)
    .where(
      'domain_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('domain_id')
    .orderBy('position')
    .execute();
  const byDomain = new Map<string, DomainTable[]>();
  for (const t of tables) {
    const list = byDomain.get(t.domain_id) ?? [];
    list.push({ schema: t.schema_name, name: t.table_name, policy: t.policy });
    byDomain.set(t.domain_id, list);
  }
  return rows.map((r) => ({
    id: r.id,
    workspaceId: r.workspace_id,
    name: r.name,
    description: r.description,
    connectionId: r.connection_id,
    tables: byDomain.get(r.id) ?? [],
    isBuiltIn: r.id === BUILT_IN_DOMAIN_ID,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

/** One domain, the built-in one included even before it has a row. */
export async function findDomain(db: Executor, workspaceId: string, id: string): Promise<DomainView | null> {
  const [found] = await loadDomains(db, workspaceId, [id]);
  if (found) return found;
  return id === BUILT_IN_DOMAIN_ID ? builtInDomain(workspaceId) : null;
}

/** Replaces a domain's table list, keeping the policies of the tables that stay. */
export async function replaceTables(
  db: Executor,
  workspaceId: string,
  domainId: string,
  tables: readonly { schema: string; name: string; policy: string | null }[],
): Promise<void> {
  await db
    .deleteFrom('data_domain_tables')
    .where('workspace_id', '=', workspaceId)
    .where('domain_id', '=', domainId)
    .execute();
  if (tables.length === 0) return;
  await db
    .insertInto('data_domain_tables')
    .values(
      tables.map((t, position) => ({
        workspace_id: workspaceId,
        domain_id: domainId,
        schema_name: t.schema,
        table_name: t.name,
        position,
        policy: t.policy,
        policy_updated_at: null,
      })),
    )
    .execute();
}

/** The ids among `ids` of the workspace's domains, each held FOR SHARE until the transaction ends. */
export const sharedDomainIds = async (db: Executor, workspaceId: string, ids: readonly string[]) =>
  new Set(
    (
      await db
        .selectFrom('data_domains')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('id', 'in', ids)
        .forShare()
        .execute()
    ).map((r) => r.id),
  );

export const lockDomain = (db: Executor, workspaceId: string, id: string) =>
  db
    .selectFrom('data_domains')
    .select(['id', 'name'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();

export const deleteDomain = (db: Executor, workspaceId: string, id: string) =>
  db.deleteFrom('data_domains').where('workspace_id', '=', workspaceId).where('id', '=', id).execute();

export const updateDomain = (
  db: Executor,
  workspaceId: string,
  id: string,
  values: Updateable<DataDomainsTable>,
) =>
  db
    .updateTable('data_domains')
    .set(values)
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute();

export const insertDomain = (db: Executor, row: Insertable<DataDomainsTable>) =>
  db.insertInto('data_domains').values(row).execute();

/** Sets one table's policy; false when the table is not (or no longer) in the domain. */
export const setTablePolicy = async (
  db: Executor,
  workspaceId: string,
  domainId: string,
  table: { schema: string; name: string },
  policy: string | null,
  at: Date,
) =>
  Number(
    (
      await db
        .updateTable('data_domain_tables')
        .set({ policy, policy_updated_at: at })
        .where('workspace_id', '=', workspaceId)
        .where('domain_id', '=', domainId)
        .where('schema_name', '=', table.schema)
        .where('table_name', '=', table.name)
        .executeTakeFirst()
    ).numUpdatedRows,
  ) > 0;

/** The domains bound to the connection `connectionId`, by id. */
export const domainsUsingConnection = (db: Executor, connectionId: string) =>
  db
    .selectFrom('data_domains')
    .select(['id', 'name'])
    .where('connection_id', '=', connectionId)
    .orderBy('id')
    .execute();

/** Role assignments (direct and group) of the workspace whose scopes name the domain. */
export async function assignmentsReferencing(db: Executor, workspaceId: string, domainId: string) {
  const users = await usersWithScope(db, workspaceId, domainId);
  const groups = await groupsWithScope(db, workspaceId, domainId);
  return { userIds: users.map((u) => u.id), groupIds: groups.map((g) => g.id) };
}
