import { type Filter, parse } from 'scim2-parse-filter';
import { ScimError } from './errors.ts';

/** Longest filter accepted; real IdP filters are one or two comparisons. */
export const MAX_FILTER_LENGTH = 2000;

const CORE_PREFIXES = [
  'urn:ietf:params:scim:schemas:core:2.0:user:',
  'urn:ietf:params:scim:schemas:core:2.0:group:',
];

/** Attribute paths a filter may name, lower-cased; attributes compared case-sensitively (RFC 7643 caseExact). */
export interface FilterSchema {
  readonly paths: ReadonlySet<string>;
  readonly caseExact: ReadonlySet<string>;
}

export const USER_FILTER_SCHEMA: FilterSchema = {
  paths: new Set([
    'id',
    'externalid',
    'username',
    'displayname',
    'active',
    'title',
    'emails',
    'emails.value',
    'emails.type',
    'emails.primary',
    'name.givenname',
    'name.familyname',
    'name.formatted',
    'meta.created',
    'meta.lastmodified',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:employeenumber',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:department',
  ]),
  caseExact: new Set(['id', 'externalid']),
};

export const GROUP_FILTER_SCHEMA: FilterSchema = {
  paths: new Set([
    'id',
    'externalid',
    'displayname',
    'members',
    'members.value',
    'meta.created',
    'meta.lastmodified',
  ]),
  caseExact: new Set(['id', 'externalid', 'members.value']),
};

/** A parsed, checked filter: RFC 7644 §3.4.2.2 (docs/scim.md "Filters"). */
export type CheckedFilter = Filter;

/** Parses `text` and checks every attribute it names; anything else is 400 invalidFilter. */
export function parseFilter(text: string, schema: FilterSchema): CheckedFilter {
  if (text.length > MAX_FILTER_LENGTH)
    throw invalidFilter(`The filter is longer than ${MAX_FILTER_LENGTH} characters`);
  let filter: Filter;
  try {
    filter = parse(text);
  } catch (err) {
    throw invalidFilter(
      `The filter does not parse: ${err instanceof Error ? err.message.slice(0, 200) : 'syntax'}`,
    );
  }
  check(filter, schema, '');
  return filter;
}

const invalidFilter = (detail: string) => new ScimError(400, 'invalidFilter', detail);

export function canonicalPath(path: string): string {
  const lower = path.toLowerCase();
  for (const prefix of CORE_PREFIXES) if (lower.startsWith(prefix)) return lower.slice(prefix.length);
  return lower;
}

function check(filter: Filter, schema: FilterSchema, prefix: string): void {
  switch (filter.op) {
    case 'and':
    case 'or':
      for (const f of (filter as { filters: Filter[] }).filters) check(f, schema, prefix);
      return;
    case 'not':
      check((filter as { filter: Filter }).filter, schema, prefix);
      return;
    case '[]': {
      const vp = filter as { attrPath: string; valFilter: Filter };
      const path = prefix + canonicalPath(vp.attrPath);
      if (!schema.paths.has(path))
        throw invalidFilter(`Unknown attribute in filter: ${vp.attrPath.slice(0, 100)}`);
      check(vp.valFilter, schema, `${path}.`);
      return;
    }
    default: {
      const c = filter as { attrPath: string; compValue?: unknown };
      const path = prefix + canonicalPath(c.attrPath);
      if (!schema.paths.has(path))
        throw invalidFilter(`Unknown attribute in filter: ${c.attrPath.slice(0, 100)}`);
      if (filter.op !== 'pr' && typeof c.compValue === 'object' && c.compValue !== null)
        throw invalidFilter('A comparison value must be a string, number, boolean or null');
      if (
        dateTime.has(path) &&
        ORDERING.has(filter.op) &&
        c.compValue !== null &&
        (typeof c.compValue !== 'string' || Number.isNaN(Date.parse(c.compValue)))
      )
        throw invalidFilter(
          `${c.attrPath.slice(0, 100)} is compared with a dateTime, e.g. "2024-05-13T04:42:34Z"`,
        );
    }
  }
}

/** Whether `resource` (a SCIM resource as Tessera renders it) matches the filter. */
export function matches(
  filter: CheckedFilter,
  resource: Record<string, unknown>,
  schema: FilterSchema,
): boolean {
  return test(filter, resource, schema, '');
}

function test(filter: Filter, node: unknown, schema: FilterSchema, prefix: string): boolean {
  switch (filter.op) {
    case 'and': {
      const filters = (filter as { filters: Filter[] }).filters;
      // `emails[type eq "work"].value eq "x"` parses as [value path, `emails.value eq "x"`]: both
      // must hold for the same element (RFC 7644 §3.4.2.2, valuePath with a sub-attribute).
      const [first, second] = filters;
      if (
        filters.length === 2 &&
        first?.op === '[]' &&
        second &&
        second.op !== '[]' &&
        'attrPath' in second
      ) {
        const base = canonicalPath((first as { attrPath: string }).attrPath);
        const sub = canonicalPath((second as { attrPath: string }).attrPath);
        if (sub.startsWith(`${base}.`)) {
          return elements(node, base).some(
            (e) =>
              test((first as { valFilter: Filter }).valFilter, e, schema, `${prefix}${base}.`) &&
              test(
                { ...second, attrPath: sub.slice(base.length + 1) } as Filter,
                e,
                schema,
                `${prefix}${base}.`,
              ),
          );
        }
      }
      return filters.every((f) => test(f, node, schema, prefix));
    }
    case 'or':
      return (filter as { filters: Filter[] }).filters.some((f) => test(f, node, schema, prefix));
    case 'not':
      return !test((filter as { filter: Filter }).filter, node, schema, prefix);
    case '[]': {
      const vp = filter as { attrPath: string; valFilter: Filter };
      const path = canonicalPath(vp.attrPath);
      return elements(node, path).some((e) => test(vp.valFilter, e, schema, `${prefix}${path}.`));
    }
    default: {
      const c = filter as { op: string; attrPath: string; compValue: unknown };
      const path = canonicalPath(c.attrPath);
      const found = elements(node, path);
      // RFC 7644 §3.4.2.2: `pr` holds for a non-empty value or a non-empty complex node
      // (`emails pr`); a complex value is compared by its `value` (`emails co "@example.com"`).
      if (c.op === 'pr') return found.some(present);
      const complex = found.some(isObject);
      const values = found
        .flatMap((v) => (isObject(v) ? elements(v, 'value') : [v]))
        .filter((v) => v !== null && v !== undefined && typeof v !== 'object');
      const how = {
        caseExact: schema.caseExact.has(complex ? `${prefix}${path}.value` : prefix + path),
        isDateTime: dateTime.has(prefix + path),
      };
      return values.some((v) => compare(c.op, v, c.compValue, how));
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function present(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return false;
  return isObject(v) ? Object.values(v).some(present) : true;
}

/** Attributes of type dateTime, compared as instants (`…:05Z` is before `…:05.678Z`). */
const dateTime = new Set(['meta.created', 'meta.lastmodified']);

/** The values at a dotted path, arrays flattened, attribute names compared case-insensitively. */
function elements(node: unknown, path: string): unknown[] {
  let current: unknown[] = [node];
  const parts = path.startsWith('urn:') ? splitUrn(path) : path.split('.');
  for (const part of parts) {
    const next: unknown[] = [];
    for (const value of current) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item === null || typeof item !== 'object') continue;
        for (const [k, v] of Object.entries(item)) if (k.toLowerCase() === part) next.push(v);
      }
    }
    current = next.flatMap((v) => (Array.isArray(v) ? v : [v]));
  }
  return current;
}

/** `urn:…:2.0:user:department` → the extension's key, then the attribute. */
function splitUrn(path: string): string[] {
  const at = path.lastIndexOf(':');
  return [path.slice(0, at), ...path.slice(at + 1).split('.')];
}

function compare(
  op: string,
  actual: unknown,
  expected: unknown,
  { caseExact, isDateTime }: { caseExact: boolean; isDateTime: boolean },
): boolean {
  if (typeof actual === 'boolean' || typeof expected === 'boolean') {
    return op === 'eq' ? actual === expected : op === 'ne' ? actual !== expected : false;
  }
  if (expected === null) return op === 'ne';
  if (isDateTime && ORDERING.has(op)) {
    const a = Date.parse(String(actual));
    const e = Date.parse(String(expected));
    return op === 'eq'
      ? a === e
      : op === 'ne'
        ? a !== e
        : op === 'gt'
          ? a > e
          : op === 'ge'
            ? a >= e
            : op === 'lt'
              ? a < e
              : a <= e;
  }
  const fold = (v: unknown) => (caseExact ? String(v) : String(v).toLowerCase());
  const a = fold(actual);
  const e = fold(expected);
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      return false;
  }
}

const ORDERING = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

/** The value of a top-level `attr eq "v"` filter, for an indexed lookup instead of a scan. */
export function simpleEquality(filter: CheckedFilter, attribute: string): string | null {
  if (filter.op !== 'eq') return null;
  const c = filter as { attrPath: string; compValue: unknown };
  return canonicalPath(c.attrPath) === attribute && typeof c.compValue === 'string' ? c.compValue : null;
}
