import { parse } from 'csv-parse/sync';
import { ATTRIBUTE_KEY, type AttributeInput, RESERVED_ATTRIBUTE_KEYS } from '../../attributes/validation.ts';
import { ROLES } from '../../roles/roles.ts';
import type { RoleAssignmentInput } from '../../roles/validation.ts';
import type { CreateUsersInput } from '../upsert.ts';

/**
 * The import file format (README "tessera users import"):
 * - `email` (required): one user per row.
 * - `roles`: the user's direct role assignments, `;`-separated, each `ROLE[:scope|scope…]` where
 *   ROLE is a built-in role name (any case) or role id and scopes are domain ids. The cell
 *   replaces the user's direct roles (empty = none). Without the column, roles are left alone.
 * - `groups`: group names or ids, `;`-separated, added to the user's groups.
 * - `attributes`: a JSON object of DATABASE attributes; strings are stored as they are, other
 *   values (lists, numbers) as their JSON text.
 * - Any other column is a DATABASE attribute named by its header; an empty cell leaves it out.
 * When the file has an `attributes` column or attribute columns, each row's attributes replace
 * the user's DATABASE attributes (as createUsers does); otherwise attributes are left alone.
 */
export const RESERVED_COLUMNS = ['email', 'roles', 'groups', 'attributes'] as const;

export interface ImportRow {
  /** 1-based line of the file where the row starts. */
  readonly line: number;
  readonly email: string;
  readonly input: CreateUsersInput;
}

export interface LineProblem {
  readonly line: number;
  readonly column?: string | undefined;
  readonly message: string;
}

export interface ParsedImport {
  readonly rows: ImportRow[];
  readonly problems: LineProblem[];
}

/** Group names (lower-cased) to ids, so a file may name groups by name or id. */
export type GroupLookup = ReadonlyMap<string, string>;

const roleIdByName = new Map(ROLES.map((r) => [r.name.toLowerCase(), r.id]));

/** Parses and checks the file's shape; the createUsers rules themselves are checked by the service. */
export function parseImportFile(
  text: string,
  groups: GroupLookup,
  options: { readonly sendWelcomeEmail: boolean },
): ParsedImport {
  const problems: LineProblem[] = [];
  let records: { record: string[]; info: { lines: number }; raw: string }[];
  try {
    records = parse(text, {
      bom: true,
      info: true,
      raw: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as unknown as typeof records;
  } catch (err) {
    const e = err as { lines?: number; message: string };
    return { rows: [], problems: [{ line: e.lines ?? 1, message: `not valid CSV: ${e.message}` }] };
  }
  const [headerRecord, ...body] = records;
  if (!headerRecord) return { rows: [], problems: [{ line: 1, message: 'the file is empty' }] };
  const header = headerRecord.record.map((h) => h.trim());
  const headerProblems = checkHeader(header);
  if (headerProblems.length > 0) return { rows: [], problems: headerProblems };

  const col = (name: string) => header.indexOf(name);
  const attributeColumns = header.flatMap((h, i) =>
    (RESERVED_COLUMNS as readonly string[]).includes(h) ? [] : [{ key: h, index: i }],
  );
  const hasAttributes = col('attributes') >= 0 || attributeColumns.length > 0;
  const firstLineOf = new Map<string, number>();
  const rows: ImportRow[] = [];

  for (const { record, info, raw } of body) {
    const line = info.lines - (raw.replace(/\r?\n$/, '').split('\n').length - 1);
    const rowProblems: LineProblem[] = [];
    if (record.length !== header.length) {
      problems.push({ line, message: `has ${record.length} fields; the header has ${header.length}` });
      continue;
    }
    const cell = (name: string) => (col(name) >= 0 ? record[col(name)]!.trim() : undefined);
    const email = cell('email')!;
    const normalized = email.toLowerCase();
    const earlier = firstLineOf.get(normalized);
    if (earlier !== undefined && email !== '')
      rowProblems.push({ line, column: 'email', message: `${email} already appears on line ${earlier}` });
    else firstLineOf.set(normalized, line);

    const roles = cell('roles');
    const roleAssignments = roles === undefined ? undefined : parseRoles(roles);
    const groupCell = cell('groups');
    const userGroupIds = groupCell
      ? splitList(groupCell).map((g) => groups.get(g.toLowerCase()) ?? g)
      : undefined;

    let userAttributes: AttributeInput[] | undefined;
    if (hasAttributes) {
      userAttributes = [];
      const json = cell('attributes');
      if (json) {
        const parsed = parseAttributeJson(json);
        if (typeof parsed === 'string') rowProblems.push({ line, column: 'attributes', message: parsed });
        else userAttributes.push(...parsed);
      }
      for (const { key, index } of attributeColumns) {
        const value = record[index]!;
        if (value === '') continue;
        if (userAttributes.some((a) => a.key === key))
          rowProblems.push({
            line,
            column: key,
            message: `attribute ${key} is also in the attributes column`,
          });
        else userAttributes.push({ key, value });
      }
    }
    problems.push(...rowProblems);
    rows.push({
      line,
      email,
      input: {
        emails: [email],
        ...(roleAssignments !== undefined ? { roleAssignments } : {}),
        ...(userGroupIds !== undefined ? { userGroupIds } : {}),
        ...(userAttributes !== undefined ? { userAttributes } : {}),
        sendWelcomeEmail: options.sendWelcomeEmail,
      },
    });
  }
  if (rows.length === 0 && problems.length === 0) problems.push({ line: 2, message: 'the file has no rows' });
  return { rows, problems };
}

function checkHeader(header: readonly string[]): LineProblem[] {
  const problems: LineProblem[] = [];
  if (!header.includes('email')) problems.push({ line: 1, message: 'the header needs an email column' });
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) problems.push({ line: 1, column: h, message: `column ${h} appears twice` });
    seen.add(h);
    if ((RESERVED_COLUMNS as readonly string[]).includes(h)) continue;
    if (!ATTRIBUTE_KEY.test(h) || RESERVED_ATTRIBUTE_KEYS.has(h))
      problems.push({ line: 1, column: h, message: `column ${h} is not a valid attribute key` });
  }
  return problems;
}

const splitList = (cell: string) =>
  cell
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);

/** `VIEWER:default|sales;ADMIN` → assignments; unknown role names pass through for the service to name. */
function parseRoles(cell: string): RoleAssignmentInput[] {
  return splitList(cell).map((part) => {
    const colon = part.indexOf(':');
    const role = (colon < 0 ? part : part.slice(0, colon)).trim();
    const scopes =
      colon < 0
        ? []
        : part
            .slice(colon + 1)
            .split('|')
            .map((s) => s.trim())
            .filter(Boolean);
    return { roleId: roleIdByName.get(role.toLowerCase()) ?? role, scopes };
  });
}

function parseAttributeJson(json: string): AttributeInput[] | string {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return 'is not valid JSON';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return 'must be a JSON object of attribute keys to values';
  return Object.entries(value).map(([key, v]) => ({
    key,
    value: typeof v === 'string' ? v : JSON.stringify(v),
  }));
}
