import type { Executor } from '../../db/index.ts';

export const insertDefaultWorkspace = (db: Executor, id: string, at: Date) =>
  db
    .insertInto('workspaces')
    .values({ id, name: 'Default', is_default: true, created_at: at })
    .onConflict((oc) => oc.column('is_default').where('is_default', '=', true).doNothing())
    .execute();

export const findDefaultWorkspace = (db: Executor) =>
  db.selectFrom('workspaces').selectAll().where('is_default', '=', true).executeTakeFirstOrThrow();

export const findWorkspace = (db: Executor, id: string) =>
  db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();

export const listWorkspaces = (db: Executor) =>
  db.selectFrom('workspaces').selectAll().orderBy('created_at').orderBy('id').execute();

export const insertWorkspace = (db: Executor, id: string, name: string, at: Date) =>
  db.insertInto('workspaces').values({ id, name, created_at: at }).execute();

/** Sets the workspace's session revocation cut-off (for sessions); false when there is no such workspace. */
export const setSessionsRevokedAt = async (db: Executor, id: string, at: Date) =>
  Number(
    (
      await db
        .updateTable('workspaces')
        .set({ sessions_revoked_at: at })
        .where('id', '=', id)
        .executeTakeFirst()
    ).numUpdatedRows,
  ) > 0;

export const sessionsRevokedAtOf = async (db: Executor, id: string) =>
  (await db.selectFrom('workspaces').select('sessions_revoked_at').where('id', '=', id).executeTakeFirst())
    ?.sessions_revoked_at ?? null;

/** The origins allowed to frame the workspace's embed page, or null when there is no such workspace. */
export const embedOriginsOf = async (db: Executor, id: string) =>
  (await db.selectFrom('workspaces').select('allowed_embed_origins').where('id', '=', id).executeTakeFirst())
    ?.allowed_embed_origins ?? null;

/** Replaces the workspace's allowed embed origins; false when there is no such workspace. */
export const setEmbedOrigins = async (db: Executor, id: string, origins: readonly string[]) =>
  Number(
    (
      await db
        .updateTable('workspaces')
        .set({ allowed_embed_origins: [...origins] })
        .where('id', '=', id)
        .executeTakeFirst()
    ).numUpdatedRows,
  ) > 0;
