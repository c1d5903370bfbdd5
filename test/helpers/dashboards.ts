import { STATUS } from './api.ts';
import type { TestApp } from './app.ts';

export const DASHBOARD_FIELDS = `id workspaceId title description domainId cacheTtlSeconds version access createdAt updatedAt
  filters { id label type defaultValues optionsSql }
  tiles { id title sql visualization position { x y w h }
    bindings { x y group format { style decimals currency prefix suffix } } }`;

export const TILE_RESULT = `query($d: ID!, $t: ID!, $f: [DashboardFilterValueInput!]) {
  dashboardTileResult(dashboardId: $d, tileId: $t, filters: $f) {
    dashboardId tileId queryId columns { name type } rows rowCount truncated cached computedAt
  }
}`;

/** The WisdomAI docs' own sharing request text, verbatim. */
export const DOCS_ADD_SHARING =
  'mutation AddScopeRoleAssignments($scopeId: ID!, $scopeRoleAssignments: [ScopeRoleAssignmentInput!]!, $scopeType: ScopeType!, $message: String) { addScopeRoleAssignmentsForSharing(scopeId: $scopeId, scopeRoleAssignments: $scopeRoleAssignments, scopeType: $scopeType, message: $message) { code message } }';

/** The WisdomAI docs' unsharing operation, verbatim (as printed on the page, one line per field). */
export const DOCS_REMOVE_SHARING = `mutation RemoveScopeRoleAssignments($scopeId: ID!, $scopeRoleAssignments: [ScopeRoleAssignmentInput!]!, $scopeType: ScopeType!) {
  removeScopeRoleAssignmentsForSharing(
    scopeId: $scopeId
    scopeRoleAssignments: $scopeRoleAssignments
    scopeType: $scopeType
  ) {
    code
    message
  }
}`;

export async function createDashboard(t: TestApp, input: Record<string, unknown>, token?: string) {
  const r = await t.gql(
    `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} dashboard { ${DASHBOARD_FIELDS} } } }`,
    { input },
    token,
  );
  return { ...r, payload: r.body.data?.createDashboard as { status: any; dashboard: any } };
}

export async function updateDashboard(t: TestApp, input: Record<string, unknown>, token?: string) {
  const r = await t.gql(
    `mutation($input: UpdateDashboardInput!) { updateDashboard(input: $input) { ${STATUS} dashboard { ${DASHBOARD_FIELDS} } } }`,
    { input },
    token,
  );
  return { ...r, payload: r.body.data?.updateDashboard as { status: any; dashboard: any } };
}

export async function tileResult(
  t: TestApp,
  token: string,
  dashboardId: string,
  tileId: string,
  filters?: { filterId: string; values: string[] }[],
) {
  const r = await t.gql(
    TILE_RESULT,
    { d: dashboardId, t: tileId, ...(filters ? { f: filters } : {}) },
    token,
  );
  return {
    ...r,
    result: r.body.data?.dashboardTileResult as
      | { rows: unknown[][]; columns: { name: string }[]; cached: boolean; rowCount: number; queryId: string }
      | undefined,
    code: r.body.errors?.[0]?.extensions?.code as string | undefined,
  };
}

/** `GET /dashboards/<id>/tiles/<tileId>/export.csv` with a bearer credential, in process. */
export async function exportCsv(t: TestApp, token: string, dashboardId: string, tileId: string, query = '') {
  return t.app.fetch(
    new Request(`http://tessera.test/dashboards/${dashboardId}/tiles/${tileId}/export.csv${query}`, {
      headers: { authorization: `Bearer ${token}` },
    }),
    { ip: '127.0.0.1' },
  );
}
