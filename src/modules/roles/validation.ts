import type { Executor } from '../../db/index.ts';
import { echo, type Problem } from '../../errors.ts';
import type { DomainCatalog } from '../data/domains/catalog.ts';
import { findRole, ROLE_IDS } from './roles.ts';

export interface RoleAssignmentInput {
  readonly roleId: string;
  readonly scopes: readonly string[];
}

const MAX_ASSIGNMENTS = 100;
const MAX_SCOPES = 500;

/**
 * Checks role assignments (docs/api-contract.md §4): built-in role ids only; ADMIN may have no scopes
 * (the whole workspace); every other role needs at least one existing domain of the workspace.
 */
export async function roleAssignmentProblems(
  db: Executor,
  domains: DomainCatalog,
  workspaceId: string,
  assignments: readonly RoleAssignmentInput[],
): Promise<Problem[]> {
  const field = 'roleAssignments';
  const problems: Problem[] = [];
  if (assignments.length > MAX_ASSIGNMENTS) {
    problems.push({ code: 'BAD_USER_INPUT', field, message: `at most ${MAX_ASSIGNMENTS} role assignments` });
    return problems;
  }
  const allScopes = assignments.flatMap((a) => a.scopes);
  const unknown = new Set(await domains.unknownDomains(db, workspaceId, allScopes));
  assignments.forEach((a, i) => {
    const role = findRole(a.roleId);
    if (!role) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `${field}[${i}].roleId`,
        item: echo(a.roleId),
        message: 'unknown role',
      });
      return;
    }
    if (!role.assignableToDomains) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `${field}[${i}].roleId`,
        item: a.roleId,
        message: 'dashboard sharing roles cannot be assigned to domains',
      });
    }
    if (a.scopes.length > MAX_SCOPES) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `${field}[${i}].scopes`,
        message: `at most ${MAX_SCOPES} scopes`,
      });
    } else if (a.scopes.length === 0 && a.roleId !== ROLE_IDS.ADMIN) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `${field}[${i}].scopes`,
        item: role.name,
        message: 'needs at least one domain',
      });
    }
    a.scopes.forEach((s, j) => {
      if (unknown.has(s))
        problems.push({
          code: 'BAD_USER_INPUT',
          field: `${field}[${i}].scopes[${j}]`,
          item: echo(s),
          message: 'unknown domain',
        });
    });
  });
  return problems;
}

/**
 * Same assignments in a canonical form, order kept: duplicate scopes removed, and an assignment
 * repeating an earlier one (same role, same set of scopes) dropped, so a repeat in the input is
 * stored and listed once, as it means nothing more.
 */
export function normalizeAssignments(
  assignments: readonly RoleAssignmentInput[],
): { roleId: string; scopes: string[] }[] {
  const seen = new Set<string>();
  const result: { roleId: string; scopes: string[] }[] = [];
  for (const a of assignments) {
    const scopes = [...new Set(a.scopes)];
    const key = JSON.stringify([a.roleId, [...scopes].sort()]);
    if (seen.has(key)) continue;
    seen.add(key);
    result.push({ roleId: a.roleId, scopes });
  }
  return result;
}
