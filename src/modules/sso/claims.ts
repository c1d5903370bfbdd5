import type { AttributeInput } from '../attributes/validation.ts';
import { ROLE_IDS } from '../roles/roles.ts';
import type { RoleAssignmentInput } from '../roles/validation.ts';
import type { StoredAttributeMapping, StoredGroupMapping } from './tables.ts';

/** Claims as a provider sent them (ID token and userinfo merged). */
export type Claims = Readonly<Record<string, unknown>>;

/**
 * The value at a claim path: the claim of exactly that name when there is one (namespaced claims
 * such as `https://example.com/roles` contain dots), else the path walked through nested objects
 * (`org.account_id`). Only own properties: `__proto__` or `constructor` lead nowhere.
 */
export function claimAt(claims: Claims, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part))
      return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A claim value as an attribute value: strings as they are, numbers and booleans as text, lists and objects as JSON. */
export function attributeValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** docs/sso.md "Attribute mapping": each mapped claim present in the sign-in becomes a JWT attribute. */
export function mappedAttributes(
  claims: Claims,
  mappings: readonly StoredAttributeMapping[],
): AttributeInput[] {
  const out: AttributeInput[] = [];
  for (const m of mappings) {
    const value = attributeValue(claimAt(claims, m.claim));
    if (value !== undefined) out.push({ key: m.attribute, value });
  }
  return out;
}

/**
 * At most this many distinct strings in the role claims of one sign-in: far more than any
 * provider's group list, and few enough to check in one statement.
 * See docs/sso.md "Roles and groups from claims".
 */
export const MAX_CLAIM_STRINGS = 1000;

/** The strings of the role claims (each a list of strings, or one string), without repeats. */
export function claimStrings(claims: Claims, names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const name of names) {
    const value = claimAt(claims, name);
    const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
    for (const v of list)
      if (typeof v === 'string' && v.length > 0 && v.length <= 512 && !v.includes('\u0000')) out.add(v);
  }
  return [...out];
}

/** Role names of the claim schema and the built-in roles they grant (docs/sso.md "Roles and groups from claims"). */
export const CLAIM_ROLE_NAMES: Readonly<Record<string, string>> = {
  administrator: ROLE_IDS.ADMIN,
  data_administrator: ROLE_IDS.DATA_ADMIN,
  explorer: ROLE_IDS.EXPLORER,
  observer: ROLE_IDS.OBSERVER,
  viewer: ROLE_IDS.VIEWER,
  basic_explorer: ROLE_IDS.BASIC_EXPLORER,
};

export interface ClaimRoles {
  readonly assignments: RoleAssignmentInput[];
  /** Strings with the prefix that grant nothing, with why (audited, never fatal). */
  readonly ignored: { readonly value: string; readonly reason: string }[];
}

/**
 * Reads `prefix.[workspace].role.[scope_type].[scope]` strings: `wisdom.administrator`,
 * `wisdom.ws_123.explorer.domain.sales`. A workspace segment must name this workspace (its id);
 * the only scope type is `domain`; a role other than administrator needs a domain. Strings
 * without the prefix are not role strings (they may be IdP group names).
 */
export function rolesFromClaims(values: readonly string[], prefix: string, workspaceId: string): ClaimRoles {
  const byRole = new Map<string, Set<string> | 'workspace'>();
  const ignored: { value: string; reason: string }[] = [];
  for (const value of values) {
    const parts = value.split('.');
    if (parts[0] !== prefix) continue;
    const rest = parts.slice(1);
    const at = rest[0] !== undefined && Object.hasOwn(CLAIM_ROLE_NAMES, rest[0]) ? 0 : 1;
    const roleName = rest[at];
    if (roleName === undefined || !Object.hasOwn(CLAIM_ROLE_NAMES, roleName)) {
      ignored.push({ value, reason: 'unknown role' });
      continue;
    }
    if (at === 1 && rest[0]!.toLowerCase() !== workspaceId.toLowerCase()) {
      ignored.push({ value, reason: 'another workspace' });
      continue;
    }
    const roleId = CLAIM_ROLE_NAMES[roleName]!;
    const tail = rest.slice(at + 1);
    if (tail.length === 0) {
      if (roleId !== ROLE_IDS.ADMIN) {
        ignored.push({ value, reason: 'needs a domain' });
        continue;
      }
      byRole.set(roleId, 'workspace');
      continue;
    }
    if (tail[0] !== 'domain' || tail.length < 2) {
      ignored.push({ value, reason: 'unknown scope type' });
      continue;
    }
    const scope = tail.slice(1).join('.');
    const held = byRole.get(roleId);
    if (held === 'workspace') continue;
    byRole.set(roleId, (held ?? new Set()).add(scope));
  }
  const assignments = [...byRole].map(([roleId, scopes]) => ({
    roleId,
    scopes: scopes === 'workspace' ? [] : [...scopes],
  }));
  return { assignments, ignored };
}

/** The Tessera groups the claim strings map to (docs/sso.md "Roles and groups from claims"). */
export function groupsFromClaims(
  values: readonly string[],
  mappings: readonly StoredGroupMapping[],
): string[] {
  const have = new Set(values);
  return [...new Set(mappings.filter((m) => have.has(m.idpGroup)).map((m) => m.groupId))];
}
