import type { AttributeDefinitions } from '../attribute-definitions/rules.ts';
import type { AttributeInput } from '../attributes/validation.ts';
import { invalidValue, ScimError } from './errors.ts';
import { type FilterSchema, parseFilter } from './filter.ts';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** Tessera's extension: the user's DATABASE attributes, one SCIM attribute per key (docs/scim.md "Attributes"). */
export const TESSERA_SCHEMA = 'urn:ietf:params:scim:schemas:extension:tessera:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The attribute that holds `displayName` (and `User.name`), as the compat docs suggest. */
export const DISPLAY_NAME_KEY = 'display_name';
/** Stored SCIM fields beyond Tessera's columns are kept up to this size. */
const MAX_RESOURCE_BYTES = 32 * 1024;

/** Canonical spelling of the attributes Tessera knows, by lower-cased name (names are case-insensitive). */
const CANONICAL = new Map(
  [
    'schemas',
    'id',
    'externalId',
    'meta',
    'userName',
    'name',
    'displayName',
    'nickName',
    'profileUrl',
    'title',
    'userType',
    'preferredLanguage',
    'locale',
    'timezone',
    'active',
    'password',
    'emails',
    'phoneNumbers',
    'ims',
    'photos',
    'addresses',
    'groups',
    'entitlements',
    'roles',
    'x509Certificates',
    'members',
    'givenName',
    'familyName',
    'formatted',
    'middleName',
    'honorificPrefix',
    'honorificSuffix',
    'value',
    'type',
    'primary',
    'display',
    'employeeNumber',
    'costCenter',
    'organization',
    'division',
    'department',
    'manager',
    '$ref',
    ENTERPRISE_SCHEMA,
    TESSERA_SCHEMA,
  ].map((n) => [n.toLowerCase(), n]),
);
const canonical = (name: string) => CANONICAL.get(name.toLowerCase()) ?? name;
/** Top-level user attributes Tessera keeps as given in its own row (beyond the columns). */
const STORED_USER_FIELDS = new Set([
  'name',
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
  'emails',
  'phoneNumbers',
  'ims',
  'photos',
  'addresses',
  'entitlements',
  'roles',
  'x509Certificates',
  ENTERPRISE_SCHEMA,
]);
const USER_ATTRIBUTES = new Set([
  ...STORED_USER_FIELDS,
  'schemas',
  'id',
  'externalId',
  'meta',
  'userName',
  'displayName',
  'active',
  'password',
  'groups',
  TESSERA_SCHEMA,
]);
const GROUP_ATTRIBUTES = new Set(['schemas', 'id', 'externalId', 'meta', 'displayName', 'members']);
const READ_ONLY = new Set(['id', 'meta', 'groups']);

/** A user as SCIM sees it, from Tessera's rows. */
export interface UserParts {
  readonly id: string;
  readonly email: string;
  readonly status: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly attributes: readonly { key: string; value: string; source: string }[];
  readonly externalId: string | null;
  readonly stored: Record<string, unknown>;
}

export function renderUser(
  u: UserParts,
  baseUrl: string,
  definitions: AttributeDefinitions,
): Record<string, unknown> {
  const database = u.attributes.filter((a) => a.source === 'DATABASE');
  const displayName = database.find((a) => a.key === DISPLAY_NAME_KEY)?.value;
  const extension: Record<string, unknown> = Object.create(null);
  for (const a of database) {
    if (a.key === DISPLAY_NAME_KEY) continue;
    extension[a.key] =
      definitions.get(a.key)?.type === 'STRING_LIST' ? (parseList(a.value) ?? a.value) : a.value;
  }
  const stored = withManagerObject(u.stored);
  return {
    schemas: [USER_SCHEMA, ...(stored[ENTERPRISE_SCHEMA] ? [ENTERPRISE_SCHEMA] : []), TESSERA_SCHEMA],
    id: u.id,
    ...(u.externalId !== null ? { externalId: u.externalId } : {}),
    userName: u.email,
    ...stored,
    ...(displayName !== undefined ? { displayName } : {}),
    active: u.status === 'ACTIVE',
    emails: stored.emails ?? [{ value: u.email, type: 'work', primary: true }],
    [TESSERA_SCHEMA]: extension,
    meta: {
      resourceType: 'User',
      created: u.createdAt.toISOString(),
      lastModified: u.updatedAt.toISOString(),
      location: `${baseUrl}/Users/${encodeURIComponent(u.id)}`,
      // No `version`: ETags are not supported (docs/scim.md "ETags"), and a version counted only
      // SCIM's writes, so it stayed the same while the API changed the user.
    },
  };
}

export interface GroupParts {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly externalId: string | null;
  readonly members: readonly { id: string; email: string }[];
}

export function renderGroup(g: GroupParts, baseUrl: string, withMembers = true): Record<string, unknown> {
  return {
    schemas: [GROUP_SCHEMA],
    id: g.id,
    ...(g.externalId !== null ? { externalId: g.externalId } : {}),
    displayName: g.name,
    ...(withMembers
      ? {
          members: [...g.members]
            .sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0))
            .map((m) => ({
              value: m.id,
              display: m.email,
              type: 'User',
              $ref: `${baseUrl}/Users/${encodeURIComponent(m.id)}`,
            })),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: g.createdAt.toISOString(),
      lastModified: g.updatedAt.toISOString(),
      location: `${baseUrl}/Groups/${encodeURIComponent(g.id)}`,
    },
  };
}

/** What a POST, PUT or patched User body asks Tessera to store. */
export interface UserWrite {
  readonly email: string;
  readonly active: boolean;
  readonly externalId: string | null;
  readonly attributes: AttributeInput[];
  readonly stored: Record<string, unknown>;
}

/** Reads a User body strictly: wrong types are 400 invalidValue; readOnly attributes are ignored. */
export function parseUser(
  raw: unknown,
  definitions: AttributeDefinitions,
  previous: Record<string, unknown> = {},
): UserWrite {
  const body = canonicalObject(raw, 'The request body');
  requireSchema(body, USER_SCHEMA);
  for (const key of Object.keys(body)) {
    if (!USER_ATTRIBUTES.has(key))
      throw new ScimError(400, 'invalidSyntax', `Unknown attribute: ${key.slice(0, 100)}`);
  }
  const userName = body.userName;
  if (typeof userName !== 'string' || userName.trim() === '') throw invalidValue('userName is required');
  const attributes: AttributeInput[] = [];
  if (body.displayName !== undefined && body.displayName !== null) {
    if (typeof body.displayName !== 'string') throw invalidValue('displayName must be a string');
    if (body.displayName !== '') attributes.push({ key: DISPLAY_NAME_KEY, value: body.displayName });
  }
  const extension = body[TESSERA_SCHEMA];
  if (extension !== undefined && extension !== null) {
    if (typeof extension !== 'object' || Array.isArray(extension))
      throw invalidValue(`${TESSERA_SCHEMA} must be an object`);
    for (const [key, value] of Object.entries(extension)) {
      if (key === DISPLAY_NAME_KEY) throw invalidValue('display_name is written through displayName');
      if (value === null || value === undefined) continue;
      attributes.push({ key, value: attributeText(key, value, definitions) });
    }
  }
  let stored: Record<string, unknown> = {};
  for (const key of STORED_USER_FIELDS)
    if (body[key] !== undefined && body[key] !== null) stored[key] = body[key];
  stored = withManagerObject(stored);
  // Checked only where the write changes a field: one stored before these checks is carried back
  // unchanged by every PATCH, and must not block one (a deactivation).
  for (const [attr, value] of Object.entries(stored))
    if (JSON.stringify(value) !== JSON.stringify(previous[attr])) checkStoredShape(attr, value);
  if (Buffer.byteLength(JSON.stringify(stored)) > MAX_RESOURCE_BYTES)
    throw invalidValue(`The user's SCIM attributes are larger than ${MAX_RESOURCE_BYTES} bytes`);
  return {
    email: userName,
    active: activeOf(body.active),
    externalId: externalIdOf(body.externalId),
    attributes,
    stored,
  };
}

const STRING_ATTRIBUTES = new Set([
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
]);
const ENTERPRISE_ATTRIBUTES: { paths: Set<string> } = {
  paths: new Set(
    ['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager'].map((n) =>
      n.toLowerCase(),
    ),
  ),
};
const MANAGER_ATTRIBUTES = { paths: new Set(['value', '$ref', 'displayname']) };

/**
 * A stored field has its RFC 7643 type (as the Schemas endpoint declares it): a string, a complex
 * value of known string sub-attributes (`primary` a boolean), a list of those. Kept "as given", a
 * `title: [1, 2]` or an email `{nope: …}` was stored and handed back to the IdP.
 */
function checkStoredShape(attr: string, value: unknown): void {
  if (STRING_ATTRIBUTES.has(attr)) {
    if (typeof value !== 'string') throw invalidValue(`${attr} must be a string`);
    return;
  }
  if (attr === ENTERPRISE_SCHEMA) {
    const fields = complexValue(ENTERPRISE_SCHEMA, value, ENTERPRISE_ATTRIBUTES);
    const manager = fields.manager;
    // Complex (RFC 7643 §4.3); Entra's bare id was made {value} by withManagerObject already.
    if (manager !== undefined && manager !== null)
      checkSubAttributes(
        `${ENTERPRISE_SCHEMA}:manager`,
        complexValue('manager', manager, MANAGER_ATTRIBUTES),
      );
    checkSubAttributes(ENTERPRISE_SCHEMA, { ...fields, manager: null });
    return;
  }
  const subs = SUB_ATTRIBUTES.get(attr);
  if (!subs) return;
  if (!subs.multiValued) {
    checkSubAttributes(attr, complexValue(attr, value, subs.schema));
    return;
  }
  if (!Array.isArray(value)) throw invalidValue(`${attr} must be an array`);
  for (const item of value) checkSubAttributes(attr, complexValue(attr, item, subs.schema));
  if (value.filter(isPrimary).length > 1)
    throw invalidValue(`${attr} has more than one primary value (RFC 7643 §2.4 allows one)`);
}

const isPrimary = (v: unknown): boolean => {
  const primary = v !== null && typeof v === 'object' ? (v as { primary?: unknown }).primary : undefined;
  return primary === true || (typeof primary === 'string' && primary.toLowerCase() === 'true');
};

/**
 * RFC 7644 §3.5.2: a PATCH that makes a value primary makes the others of its attribute
 * primary:false. The new primary is the one that was not primary before; when a patch makes two
 * values primary at once, which to keep is not Tessera's to guess, and the check refuses it.
 */
export function keepOnePrimary(
  previous: Record<string, unknown>,
  patched: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...patched };
  for (const [attr, subs] of SUB_ATTRIBUTES) {
    const list = out[attr];
    if (!subs.multiValued || !Array.isArray(list) || list.filter(isPrimary).length < 2) continue;
    const key = (v: unknown) => JSON.stringify({ ...(v as object), primary: undefined });
    const was = previous[attr];
    const before = new Set((Array.isArray(was) ? was : []).filter(isPrimary).map(key));
    const fresh = list.filter((v) => isPrimary(v) && !before.has(key(v)));
    if (fresh.length !== 1) continue;
    out[attr] = list.map((v) => (isPrimary(v) && v !== fresh[0] ? { ...(v as object), primary: false } : v));
  }
  return out;
}

function complexValue(attr: string, value: unknown, schema: { paths: ReadonlySet<string> }) {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidValue(`${attr} must hold objects`);
  for (const name of Object.keys(value))
    if (!schema.paths.has(name.toLowerCase()))
      throw new ScimError(400, 'invalidSyntax', `Unknown attribute: ${attr}.${name.slice(0, 100)}`);
  return value as Record<string, unknown>;
}

function checkSubAttributes(attr: string, fields: Record<string, unknown>): void {
  for (const [name, v] of Object.entries(fields)) {
    if (v === null || v === undefined) continue;
    if (name === 'primary') {
      // Entra's boolean strings, as for `active`.
      if (typeof v === 'string' && /^(true|false)$/i.test(v)) fields[name] = v.toLowerCase() === 'true';
      else if (typeof v !== 'boolean') throw invalidValue(`${attr}.primary must be a boolean`);
    } else if (typeof v !== 'string') throw invalidValue(`${attr}.${name} must be a string`);
  }
}

/**
 * The enterprise `manager` is complex, `{value, $ref, displayName}` (RFC 7643 §4.3), but Entra
 * sends the manager's id as a bare string: that string is the `value`, so the manager is stored
 * and shown in one form, and `manager.value` can be patched whichever form wrote it. An empty
 * string is no manager. A manager stored as a string before is shown the same way.
 */
function withManagerObject(fields: Record<string, unknown>): Record<string, unknown> {
  const enterprise = fields[ENTERPRISE_SCHEMA];
  if (enterprise === null || typeof enterprise !== 'object' || Array.isArray(enterprise)) return fields;
  const { manager, ...rest } = enterprise as Record<string, unknown>;
  if (typeof manager !== 'string') return fields;
  return { ...fields, [ENTERPRISE_SCHEMA]: manager === '' ? rest : { ...rest, manager: { value: manager } } };
}

/** A PATCH value for the manager itself: Entra's bare id replaces the manager with `{value: id}`. */
function managerOperation(op: PatchOperation): PatchOperation {
  if (op.path !== MANAGER_PATH || op.op === 'remove') return op;
  if (typeof op.value === 'string')
    return op.value === ''
      ? { op: 'remove', path: op.path }
      : { op: 'replace', path: op.path, value: { value: op.value } };
  if (op.value === null || typeof op.value !== 'object' || Array.isArray(op.value))
    throw invalidValue(`${MANAGER_PATH} must be an object {value, $ref, displayName} or a manager id`);
  return op;
}
const MANAGER_PATH = `${ENTERPRISE_SCHEMA}:manager`;

/** What a POST, PUT or patched Group body asks for. */
export interface GroupWrite {
  readonly name: string;
  readonly externalId: string | null;
  readonly memberIds: string[];
}

export function parseGroup(raw: unknown): GroupWrite {
  const body = canonicalObject(raw, 'The request body');
  requireSchema(body, GROUP_SCHEMA);
  for (const key of Object.keys(body)) {
    if (!GROUP_ATTRIBUTES.has(key))
      throw new ScimError(400, 'invalidSyntax', `Unknown attribute: ${key.slice(0, 100)}`);
  }
  if (typeof body.displayName !== 'string' || body.displayName.trim() === '')
    throw invalidValue('displayName is required');
  const members = body.members ?? [];
  if (!Array.isArray(members)) throw invalidValue('members must be an array');
  const memberIds = members.map((m) => {
    const value =
      m && typeof m === 'object' ? (canonicalObject(m, 'A member') as { value?: unknown }).value : undefined;
    if (typeof value !== 'string' || value === '')
      throw invalidValue('Each member needs a string value (a user id)');
    return value;
  });
  return { name: body.displayName, externalId: externalIdOf(body.externalId), memberIds };
}

/**
 * Entra sends `"active": "False"` and Okta `false`: both mean false; nothing else but a boolean or
 * those strings is accepted (docs/scim.md "Identity provider quirks").
 */
export function activeOf(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidValue('active must be a boolean');
}

function externalIdOf(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > 256)
    throw invalidValue('externalId must be a string of at most 256 characters');
  return value;
}

/** An extension value as attribute text: lists become JSON arrays (the contract's list encoding). */
function attributeText(key: string, value: unknown, definitions: AttributeDefinitions): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return JSON.stringify(value);
  throw invalidValue(
    `${TESSERA_SCHEMA}:${key.slice(0, 64)} must be a string, number, boolean or list of strings${
      definitions.has(key) ? ` (declared ${definitions.get(key)!.type})` : ''
    }`,
  );
}

function parseList(value: string): string[] | null {
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) && parsed.every((v) => typeof v === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

function requireSchema(body: Record<string, unknown>, schema: string): void {
  const schemas = body.schemas;
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === schema.toLowerCase())
  )
    throw new ScimError(400, 'invalidSyntax', `schemas must include ${schema}`);
}

/** A JSON object with its attribute names in canonical spelling (SCIM names are case-insensitive). */
export function canonicalObject(raw: unknown, what: string): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ScimError(400, 'invalidSyntax', `${what} must be a JSON object`);
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(raw)) {
    const name = canonical(key);
    if (name in out)
      throw new ScimError(400, 'invalidSyntax', `Attribute ${key.slice(0, 100)} is given twice`);
    const nested =
      value !== null && typeof value === 'object' && !Array.isArray(value) && name !== TESSERA_SCHEMA
        ? canonicalObject(value, key)
        : Array.isArray(value)
          ? value.map((v) =>
              v !== null && typeof v === 'object' && !Array.isArray(v) ? canonicalObject(v, key) : v,
            )
          : value;
    out[name] = nested;
  }
  return out;
}

/** A PATCH operation ready for the patch engine: canonical op, path and value. */
export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

/**
 * Checks a PatchOp body and brings its operations to one form (docs/scim.md "PATCH"): ops in
 * lower case (Entra sends `Replace`), attribute names in canonical case, paths checked against the
 * resource's attributes (400 invalidPath), readOnly targets refused (400 mutability), and a
 * path-less value whose keys are paths (`name.givenName`, `urn:…:enterprise:2.0:User:department`)
 * spread into the objects they name.
 */
export function patchOperations(raw: unknown, resource: 'User' | 'Group'): PatchOperation[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ScimError(400, 'invalidSyntax', 'The request body must be a JSON object');
  const body = raw as { schemas?: unknown; Operations?: unknown; operations?: unknown };
  if (!Array.isArray(body.schemas) || !body.schemas.includes(PATCH_SCHEMA))
    throw new ScimError(400, 'invalidSyntax', `schemas must be ["${PATCH_SCHEMA}"]`);
  const ops = body.Operations ?? body.operations;
  if (!Array.isArray(ops) || ops.length === 0)
    throw new ScimError(400, 'invalidSyntax', 'Operations must be a non-empty array');
  if (ops.length > 1000) throw new ScimError(400, 'tooMany', 'At most 1000 operations per request');
  const known = resource === 'User' ? USER_ATTRIBUTES : GROUP_ATTRIBUTES;
  return ops.flatMap((o): PatchOperation[] => {
    if (o === null || typeof o !== 'object')
      throw new ScimError(400, 'invalidSyntax', 'Each operation must be an object');
    const opRaw = (o as Record<string, unknown>).op;
    const op = typeof opRaw === 'string' ? opRaw.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      throw new ScimError(400, 'invalidSyntax', `Unknown op: ${String(opRaw).slice(0, 20)}`);
    const pathRaw = (o as Record<string, unknown>).path;
    const value = (o as Record<string, unknown>).value;
    if (pathRaw === undefined || pathRaw === null || pathRaw === '') {
      if (op === 'remove') throw new ScimError(400, 'noTarget', 'A remove operation needs a path');
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new ScimError(400, 'invalidValue', 'An operation without a path needs an object value');
      // Path-less values are applied attribute by attribute, each as the operation with its path.
      return spreadPaths(value as Record<string, unknown>, known).map(({ path, value: v }) => {
        const top = topAttribute(path);
        if (READ_ONLY.has(top) && top !== 'id') throw mutability(top);
        return managerOperation({ op, path, value: oneValueAsList(path, v) });
      });
    }
    if (typeof pathRaw !== 'string' || pathRaw.length > 500)
      throw new ScimError(400, 'invalidPath', 'path must be a string');
    const path = canonicalPatchPath(pathRaw, known);
    const top = topAttribute(path);
    if (READ_ONLY.has(top)) throw mutability(top);
    if (op !== 'remove' && value === undefined)
      throw new ScimError(400, 'invalidValue', `${op} needs a value`);
    // A remove's value selects values of a multi-valued attribute (Entra's members); of a
    // single-valued one (Entra's manager) it selects nothing: the attribute is removed.
    if (op === 'remove' && SUB_ATTRIBUTES.get(top)?.multiValued !== true) return [{ op, path }];
    return [
      managerOperation({
        op,
        path,
        ...(value === undefined ? {} : { value: oneValueAsList(path, canonicalValue(value)) }),
      }),
    ];
  });
}

/**
 * One object given for a whole multi-valued attribute (`"path": "emails", "value": {…}`) is one
 * value of it (RFC 7644 §3.5.2.1, §3.5.2.3): the patch engine merged such an object into every
 * existing value, so every email became the new one.
 */
function oneValueAsList(path: string, value: unknown): unknown {
  const multiValued = SUB_ATTRIBUTES.get(path)?.multiValued === true;
  return multiValued && value !== null && typeof value === 'object' && !Array.isArray(value)
    ? [value]
    : value;
}

const mutability = (name: string) => new ScimError(400, 'mutability', `${name} is read-only`);

function canonicalValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (value !== null && typeof value === 'object') return canonicalObject(value, 'value');
  return value;
}

/** `urn:…:User:userName` → `userName`; `Name.GivenName` → `name.givenName`; unknown attribute → invalidPath. */
function canonicalPatchPath(path: string, known: ReadonlySet<string>): string {
  const lower = path.toLowerCase();
  let rest = path;
  for (const core of [USER_SCHEMA, GROUP_SCHEMA])
    if (lower.startsWith(`${core.toLowerCase()}:`)) rest = path.slice(core.length + 1);
  for (const ext of [ENTERPRISE_SCHEMA, TESSERA_SCHEMA]) {
    if (rest.toLowerCase().startsWith(`${ext.toLowerCase()}:`)) {
      if (!known.has(ext))
        throw new ScimError(400, 'invalidPath', `Unknown attribute: ${path.slice(0, 100)}`);
      const attr = rest.slice(ext.length + 1);
      return `${ext}:${ext === TESSERA_SCHEMA ? tesseraKeyPath(attr, path) : enterprisePath(attr, path)}`;
    }
  }
  const m = /^([A-Za-z][\w-]*)(\[[^\]]+\])?(?:\.([A-Za-z][\w-]*))?$/.exec(rest);
  if (!m) throw new ScimError(400, 'invalidPath', `Bad path: ${path.slice(0, 100)}`);
  const attr = canonical(m[1]!);
  if (!known.has(attr)) throw new ScimError(400, 'invalidPath', `Unknown attribute: ${path.slice(0, 100)}`);
  // A filter or a sub-attribute names sub-attributes of `attr`: unknown ones are invalidPath, as an
  // unknown attribute is, rather than a value written under a name nothing reads.
  const subs = SUB_ATTRIBUTES.get(attr);
  let filter = m[2] ?? '';
  if (filter) {
    if (!subs?.multiValued)
      throw new ScimError(400, 'invalidPath', `${attr} is not multi-valued: ${path.slice(0, 100)}`);
    try {
      parseFilter(filter.slice(1, -1), subs.schema);
    } catch (err) {
      throw new ScimError(400, 'invalidPath', `Bad filter in path: ${(err as Error).message.slice(0, 200)}`);
    }
    filter = filter.replace(
      /^\[\s*([A-Za-z][\w.]*)/,
      (_, name: string) => `[${name.split('.').map(canonical).join('.')}`,
    );
  }
  if (m[3] && !subs?.schema.paths.has(m[3].toLowerCase()))
    throw new ScimError(400, 'invalidPath', `Unknown sub-attribute: ${path.slice(0, 100)}`);
  return `${attr}${filter}${m[3] ? `.${canonical(m[3])}` : ''}`;
}

/**
 * A Tessera key as a PATCH path names the key itself: its values are strings, numbers or lists,
 * so a `.` would ask the patch engine for a sub-attribute of a string (a JavaScript error).
 */
function tesseraKeyPath(key: string, path: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(key))
    throw new ScimError(
      400,
      'invalidPath',
      `Bad path: ${path.slice(0, 100)} (a key holding "." or ":" is written with PUT, not addressed by a path)`,
    );
  return key;
}

/** An enterprise attribute (RFC 7643 §4.3), or a sub-attribute of `manager`, in canonical case. */
function enterprisePath(attr: string, path: string): string {
  const [name = '', sub, ...more] = attr.split('.');
  const known =
    ENTERPRISE_ATTRIBUTES.paths.has(name.toLowerCase()) &&
    more.length === 0 &&
    (sub === undefined ||
      (name.toLowerCase() === 'manager' && MANAGER_ATTRIBUTES.paths.has(sub.toLowerCase())));
  if (!known) throw new ScimError(400, 'invalidPath', `Unknown attribute: ${path.slice(0, 100)}`);
  return [name, ...(sub === undefined ? [] : [sub])].map(canonical).join('.');
}

/** RFC 7643 §4.1.2, §4.2: the sub-attributes a PATCH path may name, per complex attribute. */
const SUB_ATTRIBUTES = new Map<string, { multiValued: boolean; schema: FilterSchema }>(
  (
    [
      [
        'name',
        false,
        ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'],
      ],
      [
        'addresses',
        true,
        ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type', 'primary'],
      ],
      ['members', true, ['value', 'display', 'type', '$ref']],
      ['groups', true, ['value', 'display', 'type', '$ref']],
      ['meta', false, ['resourceType', 'created', 'lastModified', 'location', 'version']],
      ...['emails', 'phoneNumbers', 'ims', 'photos', 'entitlements', 'roles', 'x509Certificates'].map(
        (a) => [a, true, ['value', 'display', 'type', 'primary']] as const,
      ),
    ] as const
  ).map(([attr, multiValued, names]) => [
    attr,
    {
      multiValued,
      schema: { paths: new Set(names.map((n) => n.toLowerCase())), caseExact: new Set<string>() },
    },
  ]),
);

function topAttribute(path: string): string {
  for (const ext of [ENTERPRISE_SCHEMA, TESSERA_SCHEMA]) if (path.startsWith(`${ext}:`)) return ext;
  return /^[A-Za-z][\w-]*/.exec(path)?.[0] ?? path;
}

/** An attribute named inside a value: one that is not known is a body error (invalidSyntax), as in a PUT. */
function attributeOfValue(path: string, known: ReadonlySet<string>): string {
  try {
    return canonicalPatchPath(path, known);
  } catch (err) {
    if (err instanceof ScimError && err.scimType === 'invalidPath')
      throw new ScimError(400, 'invalidSyntax', `Unknown attribute: ${path.slice(0, 100)}`);
    throw err;
  }
}

/**
 * A path-less value as one path per attribute. Entra's keys may be paths themselves
 * (`name.givenName`, `urn:…:enterprise:2.0:User:department`); an extension's object stands for
 * each of its attributes.
 */
function spreadPaths(
  value: Record<string, unknown>,
  known: ReadonlySet<string>,
): { path: string; value: unknown }[] {
  const out: { path: string; value: unknown }[] = [];
  for (const [key, v] of Object.entries(value)) {
    // An extension named whole (`"urn:…:enterprise:2.0:User": {"department": …}`) is no path of
    // its own: it stands for each of its attributes.
    const extension = [ENTERPRISE_SCHEMA, TESSERA_SCHEMA].find((e) => e.toLowerCase() === key.toLowerCase());
    if (extension !== undefined && known.has(extension)) {
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        throw invalidValue(`${extension} must be an object`);
      for (const [sub, subValue] of Object.entries(v))
        out.push({ path: attributeOfValue(`${extension}:${sub}`, known), value: canonicalValue(subValue) });
      continue;
    }
    const path = canonicalPatchPath(key, known);
    if (path.includes('['))
      throw new ScimError(
        400,
        'invalidPath',
        `A filter cannot be used in a value's key: ${key.slice(0, 100)}`,
      );
    out.push({ path, value: canonicalValue(v) });
  }
  return out;
}
