import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { ATTRIBUTE_KEY, type AttributeInput, RESERVED_ATTRIBUTE_KEYS } from '../../attributes/validation.ts';
import { ROLES } from '../../roles/roles.ts';
import type { RoleAssignmentInput } from '../../roles/validation.ts';
import type { CreateUsersInput } from '../upsert.ts';
import { FirstLines } from './first-lines.ts';

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

/** Group names (lower-cased) to ids, so a file may name groups by name or id. */
export type GroupLookup = ReadonlyMap<string, string>;

const roleIdByName = new Map(ROLES.map((r) => [r.name.toLowerCase(), r.id]));

/** A CSV record and the 1-based line of the file where it starts. */
export interface CsvRecord {
  readonly record: string[];
  readonly line: number;
}

/** The file is not valid CSV from this line on. */
export class CsvSyntaxError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.line = line;
  }
}

/**
 * The records of a CSV file, streamed: the file is read in chunks as records are consumed, so
 * memory does not grow with the file. Throws `CsvSyntaxError` where the file stops being CSV.
 */
export async function* csvRecords(path: string): AsyncGenerator<CsvRecord> {
  const source = createReadStream(path);
  const parser = source.pipe(
    parse({ bom: true, info: true, raw: true, skip_empty_lines: true, relax_column_count: true }),
  );
  source.once('error', (err) => parser.destroy(err)); // a read error ends the records, as an error
  try {
    for await (const { record, info, raw } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
      raw: string;
    }>) {
      yield { record, line: info.lines - innerLineBreaks(raw) };
    }
  } catch (err) {
    const e = err as { lines?: number; message: string; code?: string };
    if (typeof e.code === 'string' && e.code.startsWith('CSV_'))
      throw new CsvSyntaxError(e.lines ?? 1, `not valid CSV: ${e.message}`);
    throw err;
  } finally {
    source.destroy();
    parser.destroy();
  }
}

/** Line breaks inside a record's raw text (quoted cells), not counting the one that ends it. */
function innerLineBreaks(raw: string): number {
  let breaks = 0;
  for (let i = raw.indexOf('\n'); i >= 0; i = raw.indexOf('\n', i + 1)) breaks++;
  return raw.endsWith('\n') ? breaks - 1 : breaks;
}

/**
 * Checks the file's shape record by record (the createUsers rules themselves are checked by the
 * service): first the header, then each body record into a createUsers input. Duplicate emails
 * are found across the whole file, so one parser reads one file once.
 */
export class ImportRowParser {
  readonly #groups: GroupLookup;
  readonly #sendWelcomeEmail: boolean;
  /** Normalized email → the line it first appears on. */
  readonly #firstLines = new FirstLines();
  #header: string[] = [];
  #attributeColumns: { key: string; index: number }[] = [];
  #hasAttributes = false;

  constructor(groups: GroupLookup, options: { readonly sendWelcomeEmail: boolean }) {
    this.#groups = groups;
    this.#sendWelcomeEmail = options.sendWelcomeEmail;
  }

  /** Reads the header; any problem means no row can be read. */
  header(record: readonly string[]): LineProblem[] {
    const header = record.map((h) => h.trim());
    const problems = checkHeader(header);
    this.#header = header;
    this.#attributeColumns = header.flatMap((h, i) =>
      (RESERVED_COLUMNS as readonly string[]).includes(h) ? [] : [{ key: h, index: i }],
    );
    this.#hasAttributes = header.includes('attributes') || this.#attributeColumns.length > 0;
    return problems;
  }

  /** One body record: its row (none when it has the wrong number of fields) and its problems. */
  row(record: readonly string[], line: number): { row: ImportRow | null; problems: LineProblem[] } {
    const header = this.#header;
    if (record.length !== header.length)
      return {
        row: null,
        problems: [{ line, message: `has ${record.length} fields; the header has ${header.length}` }],
      };
    const problems: LineProblem[] = [];
    const cell = (name: string) => {
      const i = header.indexOf(name);
      return i >= 0 ? record[i]!.trim() : undefined;
    };
    const email = cell('email')!;
    // An empty email is the createUsers rules' to report, not a duplicate.
    const earlier = email === '' ? null : this.#firstLines.firstOr(email.toLowerCase(), line);
    if (earlier !== null)
      problems.push({ line, column: 'email', message: `${email} already appears on line ${earlier}` });

    const roles = cell('roles');
    const roleAssignments = roles === undefined ? undefined : parseRoles(roles);
    const groupCell = cell('groups');
    const userGroupIds = groupCell
      ? splitList(groupCell).map((g) => this.#groups.get(g.toLowerCase()) ?? g)
      : undefined;

    let userAttributes: AttributeInput[] | undefined;
    if (this.#hasAttributes) {
      userAttributes = [];
      const json = cell('attributes');
      if (json) {
        const parsed = parseAttributeJson(json);
        if (typeof parsed === 'string') problems.push({ line, column: 'attributes', message: parsed });
        else userAttributes.push(...parsed);
      }
      for (const { key, index } of this.#attributeColumns) {
        const value = record[index]!;
        if (value === '') continue;
        if (userAttributes.some((a) => a.key === key))
          problems.push({ line, column: key, message: `attribute ${key} is also in the attributes column` });
        else userAttributes.push({ key, value });
      }
    }
    return {
      row: {
        line,
        email,
        input: {
          emails: [email],
          ...(roleAssignments !== undefined ? { roleAssignments } : {}),
          ...(userGroupIds !== undefined ? { userGroupIds } : {}),
          ...(userAttributes !== undefined ? { userAttributes } : {}),
          sendWelcomeEmail: this.#sendWelcomeEmail,
        },
      },
      problems,
    };
  }
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
