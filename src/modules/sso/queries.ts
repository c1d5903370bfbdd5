import { type Selectable, sql } from 'kysely';
import type { Executor } from '../../db/index.ts';
import type {
  SsoTables,
  StoredAttributeMapping,
  StoredGroupMapping,
  StoredRoleAssignment,
} from './tables.ts';

export type IssuerRow = Selectable<SsoTables['sso_issuers']>;
export type SettingsRow = Selectable<SsoTables['sso_settings']>;
export type IdentityRow = Selectable<SsoTables['sso_identities']>;

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

const issuerOf = (row: IssuerRow): IssuerRow => ({
  ...row,
  attribute_mappings: json<StoredAttributeMapping[]>(row.attribute_mappings),
});

export const listIssuers = async (db: Executor, workspaceId: string) =>
  (
    await db
      .selectFrom('sso_issuers')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('name')
      .execute()
  ).map(issuerOf);

export const findIssuer = async (db: Executor, workspaceId: string, id: string) => {
  const row = await db
    .selectFrom('sso_issuers')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? issuerOf(row) : undefined;
};

export const findIssuerByName = async (db: Executor, workspaceId: string, name: string) => {
  const row = await db
    .selectFrom('sso_issuers')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
    .executeTakeFirst();
  return row ? issuerOf(row) : undefined;
};

export const findIssuerById = async (db: Executor, id: string) => {
  const row = await db.selectFrom('sso_issuers').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? issuerOf(row) : undefined;
};

export const insertIssuer = (
  db: Executor,
  row: Omit<IssuerRow, 'attribute_mappings'> & { attribute_mappings: StoredAttributeMapping[] },
) =>
  db
    .insertInto('sso_issuers')
    .values({ ...row, attribute_mappings: JSON.stringify(row.attribute_mappings) })
    .execute();

export const updateIssuer = (
  db: Executor,
  id: string,
  patch: Partial<Omit<IssuerRow, 'attribute_mappings' | 'id' | 'workspace_id' | 'created_at'>> & {
    attribute_mappings?: StoredAttributeMapping[];
  },
) => {
  const { attribute_mappings, ...rest } = patch;
  return db
    .updateTable('sso_issuers')
    .set({
      ...rest,
      ...(attribute_mappings ? { attribute_mappings: JSON.stringify(attribute_mappings) } : {}),
    })
    .where('id', '=', id)
    .execute();
};

export const deleteIssuer = async (db: Executor, workspaceId: string, id: string) =>
  Number(
    (
      await db
        .deleteFrom('sso_issuers')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst()
    ).numDeletedRows,
  );

export const findSettings = async (db: Executor, workspaceId: string): Promise<SettingsRow | undefined> => {
  const row = await db
    .selectFrom('sso_settings')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return row
    ? {
        ...row,
        default_role_assignments: json<StoredRoleAssignment[]>(row.default_role_assignments),
        group_mappings: json<StoredGroupMapping[]>(row.group_mappings),
      }
    : undefined;
};

export const upsertSettings = (
  db: Executor,
  row: {
    workspace_id: string;
    jit_enabled: boolean;
    default_role_assignments: StoredRoleAssignment[];
    default_group_ids: string[];
    role_claims: string[];
    role_prefix: string;
    group_mappings: StoredGroupMapping[];
    updated_at: Date;
  },
) => {
  const values = {
    ...row,
    default_role_assignments: JSON.stringify(row.default_role_assignments),
    group_mappings: JSON.stringify(row.group_mappings),
  };
  const { workspace_id: _, ...update } = values;
  return db
    .insertInto('sso_settings')
    .values(values)
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet(update))
    .execute();
};

export const findIdentity = (db: Executor, issuerId: string, subject: string) =>
  db
    .selectFrom('sso_identities')
    .selectAll()
    .where('issuer_id', '=', issuerId)
    .where('subject', '=', subject)
    .forUpdate()
    .executeTakeFirst();

export const identityOfUser = (db: Executor, issuerId: string, userId: string) =>
  db
    .selectFrom('sso_identities')
    .selectAll()
    .where('issuer_id', '=', issuerId)
    .where('user_id', '=', userId)
    .executeTakeFirst();

export const insertIdentity = (db: Executor, row: IdentityRow) =>
  db
    .insertInto('sso_identities')
    .values(row)
    .onConflict((oc) => oc.constraint('sso_identities_pkey').doNothing())
    .returning('user_id')
    .executeTakeFirst();

/** Records a sign-in of a linked identity: the email it came with now, and when. */
export const touchIdentity = (
  db: Executor,
  identity: { readonly issuerId: string; readonly subject: string },
  login: { readonly email: string; readonly at: Date },
) =>
  db
    .updateTable('sso_identities')
    .set({ email: login.email, last_login_at: login.at })
    .where('issuer_id', '=', identity.issuerId)
    .where('subject', '=', identity.subject)
    .execute();

export const identitiesOfUsers = (db: Executor, userIds: readonly string[]) =>
  userIds.length === 0
    ? Promise.resolve([] as IdentityRow[])
    : db
        .selectFrom('sso_identities')
        .selectAll()
        .where('user_id', 'in', userIds)
        .orderBy('issuer_id')
        .execute();

export const insertLoginAttempt = (db: Executor, row: Selectable<SsoTables['sso_login_attempts']>) =>
  db.insertInto('sso_login_attempts').values(row).execute();

/**
 * How many sign-ins a client bucket has pending, counted up to `atMost` (the index on
 * (client_bucket, expires_at) reads no more than that).
 */
export const pendingLoginsOf = async (db: Executor, clientBucket: string, now: Date, atMost: number) =>
  Number(
    (
      await sql<{ n: string }>`select count(*) as n from (
        select 1 from sso_login_attempts where client_bucket = ${clientBucket} and expires_at > ${now}
        limit ${atMost}) pending`.execute(db)
    ).rows[0]?.n ?? 0,
  );

/** Takes a pending login by its state: deleted as it is read, so a state works once. */
export const takeLoginAttempt = async (db: Executor, stateHash: Uint8Array) =>
  (await db.deleteFrom('sso_login_attempts').where('state_hash', '=', stateHash).returningAll().execute())[0];

export const pruneLoginAttempts = (db: Executor, before: Date) =>
  db.deleteFrom('sso_login_attempts').where('expires_at', '<', before).execute();
