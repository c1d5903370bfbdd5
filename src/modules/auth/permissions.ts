/**
 * Permissions an access key (and the API JWTs exchanged from it) can carry. docs/api-contract.md §2;
 * `scim` is the bearer token of an identity provider's SCIM client (docs/scim.md "Authentication").
 */
export const PERMISSIONS = [
  'iam:read',
  'iam:write',
  'impersonate',
  'data:admin',
  'site:admin',
  'scim',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const isPermission = (value: string): value is Permission =>
  (PERMISSIONS as readonly string[]).includes(value);

/** `iam:write` includes everything `iam:read` grants. */
export function expandPermissions(granted: Iterable<string>): ReadonlySet<Permission> {
  const set = new Set<Permission>();
  for (const p of granted) {
    if (!isPermission(p)) continue;
    set.add(p);
    if (p === 'iam:write') set.add('iam:read');
  }
  return set;
}
