import type { TestApp } from './app.ts';

/** Typed drivers for the compat operations, so tests read like the docs' examples. */
export const USER_FIELDS = `id email name profilePicture creationTimestamp lastActiveSessionTimestamp isScimManaged status workspaceId
  roleAssignments { roleId scopes inheritedFromGroupId } userAttributes { key value source } userGroups { id name }`;

export const STATUS = 'status { code message errorCode problems { code field item message } }';

export const VIEWER = '00000000-0000-0000-0000-000000000003';
export const EXPLORER = '00000000-0000-0000-0000-000000000002';
export const ADMIN = '00000000-0000-0000-0000-000000000001';

export interface Status {
  code: string;
  message: string;
  errorCode: string | null;
  problems: { code: string; field: string; item: string | null; message: string }[];
}

export async function createUsers(t: TestApp, input: Record<string, unknown>, token?: string) {
  const r = await t.gql(
    `mutation($input: CreateUsersInput!) { createUsers(input: $input) { ${STATUS} results { email userId outcome } users { ${USER_FIELDS} } } }`,
    { input },
    token,
  );
  return {
    ...r,
    payload: r.body.data?.createUsers as {
      status: Status;
      results: { email: string; userId: string; outcome: string }[];
      users: any[];
    },
  };
}

export async function setUserAttributes(
  t: TestApp,
  userId: string,
  userAttributes: { key: string; value: string }[],
  token?: string,
) {
  const r = await t.gql(
    `mutation($input: SetUserAttributesInput!) { setUserAttributes(input: $input) { ${STATUS} } }`,
    { input: { userId, userAttributes } },
    token,
  );
  return { ...r, status: r.body.data?.setUserAttributes?.status as Status };
}

export async function listUsers(t: TestApp, workspaceId?: string, token?: string) {
  const r = await t.gql(
    `query($ws: ID) { listUsers(workspaceId: $ws) { ${USER_FIELDS} } }`,
    workspaceId ? { ws: workspaceId } : {},
    token,
  );
  return { ...r, users: r.body.data?.listUsers as any[] };
}

export async function deleteUsers(t: TestApp, userIds: string[], workspaceId?: string, token?: string) {
  const r = await t.gql(
    `mutation($input: DeleteUsersFromWorkspaceInput!) { deleteUsersFromWorkspace(input: $input) { ${STATUS} } }`,
    { input: { userIds, ...(workspaceId ? { workspaceId } : {}) } },
    token,
  );
  return { ...r, status: r.body.data?.deleteUsersFromWorkspace?.status as Status };
}

/** Row counts of every user-related table, to prove a rejected input changed nothing. */
export async function rowCounts(t: TestApp): Promise<Record<string, number>> {
  const db = t.app.services.db;
  const tables = [
    'users',
    'user_attributes',
    'user_role_assignments',
    'group_members',
    'outbox_messages',
    'user_groups',
  ] as const;
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}
