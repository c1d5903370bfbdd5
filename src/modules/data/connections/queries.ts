import type { Insertable, Selectable, Updateable } from 'kysely';
import type { SecretBox } from '../../../crypto/secret-box.ts';
import type { Executor } from '../../../db/index.ts';
import type { DataConnectionsTable, StoredCredentialMapping } from '../../../db/schema.ts';
import type { Connection, CredentialMapping } from './types.ts';

export type ConnectionRow = Selectable<DataConnectionsTable>;

/** The additional-data context each sealed secret is bound to (a copy into another row does not open). */
export const passwordContext = (connectionId: string) => `connection:${connectionId}:password`;
export const mappingPasswordContext = (connectionId: string, index: number) =>
  `connection:${connectionId}:credentialMappings[${index}].password`;

export const findConnectionRow = (db: Executor, workspaceId: string, id: string) =>
  db
    .selectFrom('data_connections')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();

export const lockConnectionRow = (db: Executor, workspaceId: string, id: string) =>
  db
    .selectFrom('data_connections')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();

export const insertConnection = (db: Executor, row: Insertable<DataConnectionsTable>) =>
  db.insertInto('data_connections').values(row).execute();

export const updateConnection = (db: Executor, id: string, patch: Updateable<DataConnectionsTable>) =>
  db.updateTable('data_connections').set(patch).where('id', '=', id).execute();

export const deleteConnection = (db: Executor, id: string) =>
  db.deleteFrom('data_connections').where('id', '=', id).execute();

export const listConnectionRows = (db: Executor, workspaceId: string) =>
  db
    .selectFrom('data_connections')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('name')
    .orderBy('id')
    .execute();

/** Opens a stored row's secrets: only for resolving and connecting, never for the API. */
export function fromRow(row: ConnectionRow, secrets: SecretBox): Connection {
  const mappings = (
    typeof row.credential_mappings === 'string'
      ? JSON.parse(row.credential_mappings)
      : row.credential_mappings
  ) as StoredCredentialMapping[];
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    engine: row.engine,
    host: row.host,
    port: row.port,
    database: row.database_name,
    user: row.username,
    password: row.password_sealed ? secrets.open(row.password_sealed, passwordContext(row.id)) : null,
    schema: row.schema_name,
    tls: row.tls,
    onNoMatch: row.on_no_match,
    credentialMappings: mappings.map(
      (m, i): CredentialMapping => ({
        attributeMatch: m.attributeMatch,
        database: m.database ?? null,
        schema: m.schema ?? null,
        user: m.user ?? null,
        host: m.host ?? null,
        password: m.passwordSealed ? secrets.open(m.passwordSealed, mappingPasswordContext(row.id, i)) : null,
        slotPattern: m.slotPattern ?? null,
      }),
    ),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Seals a connection's secrets for storage. */
export function toStoredMappings(
  connectionId: string,
  mappings: readonly CredentialMapping[],
  secrets: SecretBox,
): StoredCredentialMapping[] {
  return mappings.map((m, i) => ({
    attributeMatch: m.attributeMatch.map((a) => ({ key: a.key, value: a.value })),
    database: m.database,
    schema: m.schema,
    user: m.user,
    host: m.host,
    passwordSealed: m.password ? secrets.seal(m.password, mappingPasswordContext(connectionId, i)) : null,
    slotPattern: m.slotPattern,
  }));
}
