import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  getIntrospectionQuery,
  type IntrospectionField,
  type IntrospectionInputTypeRef,
  type IntrospectionOutputTypeRef,
  type IntrospectionQuery,
  type IntrospectionType,
} from 'graphql';
import { sql } from 'kysely';
import { ADMIN, createUsers, VIEWER } from './helpers/api.ts';
import { type TestApp, useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';
import { impersonate } from './helpers/sessions.ts';

/**
 * The authorization matrix, built from the schema as the server introspects it at test time: a
 * root field added tomorrow is called with every kind of credential at once, and fails here until
 * the table below says who may call it (docs/security.md §3).
 *
 * - `public`: no credential needed (it takes its own, or none);
 * - `session`: a user's session only (a key is FORBIDDEN);
 * - a permission: a key holding it; `sessionToo` marks the ones a session may also reach (with
 *   rules of their own, tested elsewhere), all others refuse a session.
 */
type Rule =
  | { readonly public: true }
  | { readonly session: true }
  | { readonly anyCredential: true }
  | { readonly permission: readonly string[]; readonly sessionToo?: true };

const PUBLIC: Rule = { public: true };
const SESSION: Rule = { session: true };
const p = (permission: string | string[], sessionToo?: true): Rule => ({
  permission: typeof permission === 'string' ? [permission] : permission,
  ...(sessionToo ? { sessionToo } : {}),
});

const EXPECTED: Record<string, Rule> = {
  // Query
  health: PUBLIC,
  impersonateUser: PUBLIC,
  exchangeAccessToken: PUBLIC,
  // null for a key (docs/api-contract.md §5), but a SCIM token gets nothing in GraphQL.
  currentUser: { anyCredential: true },
  effectiveAttributes: p('iam:read', true),
  listUsers: p('iam:read'),
  users: p('iam:read'),
  user: p('iam:read'),
  userGroups: p('iam:read'),
  userGroup: p('iam:read'),
  roles: p('iam:read'),
  auditEvents: p('iam:read'),
  outboxMessages: p('iam:read'),
  attributeDefinitions: p('iam:read'),
  accessKeys: p(['iam:write', 'site:admin']),
  workspaces: p('site:admin'),
  workspace: p(['iam:read', 'data:admin', 'site:admin'], true),
  connections: p('data:admin'),
  connection: p('data:admin'),
  discoverTables: p('data:admin'),
  checkConnection: p('data:admin'),
  domains: p(['iam:read', 'data:admin']),
  domain: p(['iam:read', 'data:admin']),
  unprotectedTables: p('data:admin'),
  explainAccess: p('data:admin'),
  runQuery: SESSION,
  ssoIssuers: p('iam:read'),
  ssoSettings: p('iam:read'),
  dashboards: p('data:admin', true),
  dashboard: p('data:admin', true),
  dashboardShares: p('data:admin', true),
  dashboardTileResult: SESSION,
  dashboardTilePreview: SESSION,
  dashboardFilterOptions: SESSION,
  // Mutation
  noop: PUBLIC,
  requestSignInLink: PUBLIC,
  logout: SESSION,
  createUsers: p('iam:write'),
  setUserAttributes: p('iam:write'),
  deleteUsersFromWorkspace: p('iam:write'),
  setUserRoleAssignments: p('iam:write'),
  setUserStatus: p('iam:write'),
  createUserGroup: p('iam:write'),
  updateUserGroup: p('iam:write'),
  deleteUserGroup: p('iam:write'),
  addUsersToGroup: p('iam:write'),
  removeUsersFromGroup: p('iam:write'),
  defineAttribute: p('iam:write'),
  deleteAttributeDefinition: p('iam:write'),
  createAccessKey: p(['iam:write', 'site:admin']),
  revokeAccessKey: p(['iam:write', 'site:admin']),
  revokeSessions: p('iam:write'),
  updateWorkspaceEmbedSettings: p('iam:write'),
  configureSsoIssuer: p('iam:write'),
  deleteSsoIssuer: p('iam:write'),
  setSsoSettings: p('iam:write'),
  createWorkspace: p('site:admin'),
  createConnection: p('data:admin'),
  updateConnection: p('data:admin'),
  deleteConnection: p('data:admin'),
  testConnection: p('data:admin'),
  createDomain: p('data:admin'),
  updateDomain: p('data:admin'),
  deleteDomain: p('data:admin'),
  setRowPolicy: p('data:admin'),
  removeRowPolicy: p('data:admin'),
  setColumnPolicy: p('data:admin'),
  deleteColumnPolicy: p('data:admin'),
  updateWorkspaceDataSettings: p('data:admin'),
  createDashboard: p('data:admin', true),
  updateDashboard: p('data:admin', true),
  duplicateDashboard: p('data:admin', true),
  deleteDashboard: p('data:admin', true),
  addScopeRoleAssignmentsForSharing: p('data:admin', true),
  removeScopeRoleAssignmentsForSharing: p('data:admin', true),
};

const UNAUTHORIZED = {
  errors: [{ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }],
  data: null,
};

interface RootField {
  readonly operation: 'query' | 'mutation' | 'subscription';
  readonly field: IntrospectionField;
}

/** A value of the right type for every required argument: enough to pass validation. */
function valueFor(ref: IntrospectionInputTypeRef, types: Map<string, IntrospectionType>, depth = 0): string {
  if (ref.kind === 'NON_NULL') return valueFor(ref.ofType, types, depth);
  if (ref.kind === 'LIST') return `[${valueFor(ref.ofType, types, depth)}]`;
  const type = types.get(ref.name)!;
  if (type.kind === 'ENUM') return type.enumValues[0]!.name;
  if (type.kind === 'INPUT_OBJECT') {
    const fields = type.inputFields.filter((f) => f.type.kind === 'NON_NULL' && f.defaultValue === null);
    return `{${fields.map((f) => `${f.name}: ${valueFor(f.type, types, depth + 1)}`).join(', ')}}`;
  }
  switch (ref.name) {
    case 'Int':
      return '1';
    case 'Float':
      return '1.5';
    case 'Boolean':
      return 'false';
    case 'ID':
      return '"00000000-0000-4000-8000-00000000beef"';
    default:
      return '"x"';
  }
}

function namedKind(ref: IntrospectionOutputTypeRef, types: Map<string, IntrospectionType>): string {
  if (ref.kind === 'NON_NULL' || ref.kind === 'LIST') return namedKind(ref.ofType, types);
  return types.get(ref.name)!.kind;
}

function documentFor(root: RootField, types: Map<string, IntrospectionType>): string {
  const args = root.field.args
    .filter((a) => a.type.kind === 'NON_NULL' && a.defaultValue === null)
    .map((a) => `${a.name}: ${valueFor(a.type, types)}`);
  const kind = namedKind(root.field.type, types);
  const selection = kind === 'OBJECT' || kind === 'INTERFACE' || kind === 'UNION' ? ' { __typename }' : '';
  return `${root.operation} { ${root.field.name}${args.length ? `(${args.join(', ')})` : ''}${selection} }`;
}

/** Row counts of every table but the ones a refused request is meant to write (audit, rate limits). */
async function rowCounts(t: TestApp): Promise<Record<string, number>> {
  const db = t.app.services.db;
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const counts: Record<string, number> = {};
  for (const { table_name } of tables.rows) {
    if (/audit|rate|attempt|migration|usage|last_used/i.test(table_name)) continue;
    const r = await sql<{ n: string }>`select count(*) as n from ${sql.table(table_name)}`.execute(db);
    counts[table_name] = Number(r.rows[0]!.n);
  }
  return counts;
}

for (const backend of testBackends()) {
  describe(`authorization matrix (${backend.name})`, () => {
    const app = useTestApp(backend);

    async function rootFields(): Promise<RootField[]> {
      const r = await app().gql<IntrospectionQuery>(getIntrospectionQuery());
      const schema = r.body.data!.__schema;
      const types = new Map(schema.types.map((t) => [t.name, t]));
      const out: RootField[] = [];
      for (const [operation, ref] of [
        ['query', schema.queryType],
        ['mutation', schema.mutationType],
        ['subscription', schema.subscriptionType],
      ] as const) {
        if (!ref) continue;
        const type = types.get(ref.name);
        if (type?.kind !== 'OBJECT') continue;
        for (const field of type.fields) out.push({ operation, field });
      }
      return out;
    }

    async function types(): Promise<Map<string, IntrospectionType>> {
      const r = await app().gql<IntrospectionQuery>(getIntrospectionQuery());
      return new Map(r.body.data!.__schema.types.map((t) => [t.name, t]));
    }

    async function viewerSession(email: string): Promise<string> {
      const t = app();
      await createUsers(t, { emails: [email], roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }] });
      const { token } = await impersonate(t, email);
      assert.ok(token);
      return token;
    }

    test('every root field of the schema declares who may call it', async () => {
      const names = (await rootFields()).map((r) => r.field.name);
      const missing = names.filter((n) => !(n in EXPECTED));
      assert.deepEqual(missing, [], 'root fields without a row in the matrix');
      const stale = Object.keys(EXPECTED).filter((n) => !names.includes(n));
      assert.deepEqual(stale, [], 'rows of the matrix the schema no longer has');
    });

    test('no credential, a malformed one, a revoked key or a forged JWT: the one 401 body, nothing written', async () => {
      const t = app();
      const revoked = await t.key(['iam:write', 'data:admin', 'site:admin', 'impersonate']);
      const keyId = revoked.split('_')[1];
      const r = await t.gql(
        'mutation($id: ID!) { revokeAccessKey(input: { id: $id }) { status { code } } }',
        { id: keyId },
      );
      assert.equal(r.body.data?.revokeAccessKey.status.code, 'OK');
      const viewer = await viewerSession('matrix-forged@a.test');
      const [, payload] = viewer.split('.');
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const credentials: Record<string, string | null> = {
        none: null,
        garbage: 'garbage',
        'malformed key': 'tsk_nope_nope',
        'three dots': 'a.b.c',
        'revoked key': revoked,
        'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
        'kid elsewhere': `${b64({ alg: 'ES256', typ: 'JWT', kid: '../../etc/passwd' })}.${payload}.${viewer.split('.')[2]}`,
      };
      const ts = await types();
      const before = await rowCounts(t);
      const wrong: string[] = [];
      for (const root of await rootFields()) {
        if ('public' in EXPECTED[root.field.name]!) continue;
        const doc = documentFor(root, ts);
        for (const [label, token] of Object.entries(credentials)) {
          const res = await t.gql(doc, {}, token);
          if (res.status !== 401 || JSON.stringify(res.body) !== JSON.stringify(UNAUTHORIZED))
            wrong.push(
              `${root.field.name} / ${label}: ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`,
            );
        }
      }
      assert.deepEqual(wrong, []);
      assert.deepEqual(await rowCounts(t), before);
    });

    test('a key without the permission a field needs, a SCIM token, a viewer session: FORBIDDEN, nothing written', async () => {
      const t = app();
      const keys: Record<string, { token: string; holds: readonly string[] }> = {
        scim: { token: await t.key(['scim']), holds: [] },
        impersonate: { token: await t.key(['impersonate']), holds: ['impersonate'] },
        'iam:read': { token: await t.key(['iam:read']), holds: ['iam:read'] },
        'data:admin': { token: await t.key(['data:admin']), holds: ['data:admin'] },
      };
      const session = await viewerSession('matrix-viewer@a.test');
      const ts = await types();
      const before = await rowCounts(t);
      const wrong: string[] = [];
      const expectForbidden = async (name: string, doc: string, label: string, token: string) => {
        const res = await t.gql(doc, {}, token);
        const codes = (res.body.errors ?? []).map((e) => e.extensions?.code);
        const data = res.body.data?.[name] ?? null;
        if (res.status !== 200 || data !== null || !codes.includes('FORBIDDEN'))
          wrong.push(`${name} / ${label}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      };
      for (const root of await rootFields()) {
        const rule = EXPECTED[root.field.name]!;
        if ('public' in rule) continue;
        const doc = documentFor(root, ts);
        for (const [label, key] of Object.entries(keys)) {
          if ('permission' in rule && rule.permission.some((x) => key.holds.includes(x))) continue;
          if ('anyCredential' in rule && key.holds.length > 0) continue;
          await expectForbidden(root.field.name, doc, `${label} key`, key.token);
        }
        if ('permission' in rule && !rule.sessionToo)
          await expectForbidden(root.field.name, doc, 'viewer session', session);
      }
      assert.deepEqual(wrong, []);
      assert.deepEqual(await rowCounts(t), before);
    });

    test('a viewer session reads its own user, never the other members of its groups', async () => {
      const t = app();
      const session = await viewerSession('matrix-member@a.test');
      const other = await createUsers(t, {
        emails: ['matrix-secret@a.test'],
        roleAssignments: [{ roleId: ADMIN, scopes: [] }],
        userAttributes: [{ key: 'account', value: 'acct_secret' }],
      });
      const me = await t.gql('{ currentUser { id } }', {}, session);
      const group = await t.gql(
        'mutation { createUserGroup(input: { name: "matrix-team" }) { status { code } userGroup { id } } }',
      );
      const groupId = group.body.data!.createUserGroup.userGroup.id;
      const added = await t.gql(
        'mutation($g: ID!, $ids: [ID!]!) { addUsersToGroup(input: { groupId: $g, userIds: $ids }) { status { code } } }',
        { g: groupId, ids: [me.body.data!.currentUser.id, other.payload.results[0]!.userId] },
      );
      assert.equal(added.body.data?.addUsersToGroup.status.code, 'OK', JSON.stringify(added.body));
      const r = await t.gql(
        '{ currentUser { userGroups { name members { email userAttributes { key value } } } } }',
        {},
        session,
      );
      assert.doesNotMatch(JSON.stringify(r.body), /matrix-secret|acct_secret/);
      assert.deepEqual(
        r.body.errors?.map((e) => e.extensions?.code),
        ['FORBIDDEN'],
      );
      // Its own groups' names it still reads.
      const own = await t.gql('{ currentUser { userGroups { name } } }', {}, session);
      assert.deepEqual(own.body.data?.currentUser.userGroups, [{ name: 'matrix-team' }]);
    });
  });
}
