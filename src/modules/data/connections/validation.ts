import type { Problem } from '../../../errors.ts';
import { echo } from '../../../errors.ts';
import { ATTRIBUTE_KEY } from '../../attributes/validation.ts';
import { compileSlotPattern, parseTemplate } from './templates.ts';
import { type Connection, ENGINES, type Engine, isEngine, type OnNoMatch } from './types.ts';

/** A connection's settings as the caller gives them (create, or update merged over the stored ones). */
export interface ConnectionDraft {
  readonly name: string;
  readonly engine: string;
  readonly host: string;
  readonly port: number | null;
  readonly database: string;
  readonly user: string;
  readonly password: string | null;
  readonly schema: string | null;
  readonly tls: boolean;
  readonly onNoMatch: OnNoMatch;
  readonly credentialMappings: readonly MappingDraft[];
}

export interface MappingDraft {
  readonly attributeMatch: readonly { readonly key: string; readonly value: string }[];
  readonly database?: string | null | undefined;
  readonly schema?: string | null | undefined;
  readonly user?: string | null | undefined;
  readonly host?: string | null | undefined;
  readonly password?: string | null | undefined;
  readonly slotPattern?: string | null | undefined;
}

/** The name of an embedded warehouse: it becomes a directory name, so nothing path-like. */
export const WAREHOUSE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;
const HOST = /^[A-Za-z0-9._:[\]-]{1,255}$/;
const MAX_MAPPINGS = 200;
const MAX_MATCHES = 20;
const MAX_SETTING = 255;

const problem = (field: string, message: string, item?: string): Problem => ({
  code: 'BAD_USER_INPUT',
  field,
  message,
  ...(item === undefined ? {} : { item: echo(item) }),
});

/** Every problem with a connection's settings, each naming its field. */
export function connectionProblems(d: ConnectionDraft): Problem[] {
  const problems: Problem[] = [];
  const name = d.name.trim();
  if (name.length === 0 || name.length > 200) problems.push(problem('name', 'must be 1 to 200 characters'));
  if (!isEngine(d.engine)) {
    problems.push(problem('engine', `must be one of ${ENGINES.join(', ')}`, d.engine));
    return problems;
  }
  const engine: Engine = d.engine;
  for (const [field, value] of [
    ['host', d.host],
    ['database', d.database],
    ['user', d.user],
    ['schema', d.schema ?? ''],
  ] as const) {
    if (value.includes('{{') || value.includes('}}'))
      problems.push(problem(field, 'templates are allowed only in credential mapping overrides', value));
    else if (value.length > MAX_SETTING || value.includes('\0'))
      problems.push(problem(field, `must be at most ${MAX_SETTING} characters without NUL`));
  }
  if (d.password !== null && (d.password.length > 1024 || d.password.includes('\0')))
    problems.push(problem('password', 'must be at most 1024 characters without NUL'));
  if (d.port !== null && (!Number.isInteger(d.port) || d.port < 1 || d.port > 65535))
    problems.push(problem('port', 'must be between 1 and 65535', String(d.port)));
  if (engine === 'pglite') {
    if (!WAREHOUSE_NAME.test(d.database))
      problems.push(problem('database', 'must name the warehouse: letters, digits, _ and -', d.database));
    if (d.host) problems.push(problem('host', 'the embedded pglite engine has no host'));
    if (d.port !== null) problems.push(problem('port', 'the embedded pglite engine has no port'));
    if (d.tls) problems.push(problem('tls', 'the embedded pglite engine has no TLS'));
  } else {
    if (!HOST.test(d.host)) problems.push(problem('host', 'is required (a host name or address)', d.host));
    if (d.database.trim().length === 0) problems.push(problem('database', 'is required'));
    if (d.user.trim().length === 0) problems.push(problem('user', 'is required'));
  }
  if (d.credentialMappings.length > MAX_MAPPINGS)
    problems.push(problem('credentialMappings', `at most ${MAX_MAPPINGS} mappings`));
  else
    for (const [i, m] of d.credentialMappings.entries())
      problems.push(...mappingProblems(engine, m, `credentialMappings[${i}]`));
  return problems;
}

function mappingProblems(engine: Engine, m: MappingDraft, field: string): Problem[] {
  const problems: Problem[] = [];
  if (m.attributeMatch.length > MAX_MATCHES)
    problems.push(problem(`${field}.attributeMatch`, `at most ${MAX_MATCHES} pairs`));
  const seen = new Set<string>();
  m.attributeMatch.forEach((a, j) => {
    if (!ATTRIBUTE_KEY.test(a.key))
      problems.push(problem(`${field}.attributeMatch[${j}].key`, 'is not a valid attribute key', a.key));
    else if (seen.has(a.key))
      problems.push(problem(`${field}.attributeMatch[${j}].key`, 'appears twice in one mapping', a.key));
    seen.add(a.key);
    if (a.value.length > 4096) problems.push(problem(`${field}.attributeMatch[${j}].value`, 'is over 4 KiB'));
  });
  try {
    compileSlotPattern(m.slotPattern ?? null);
  } catch (err) {
    problems.push(problem(`${field}.slotPattern`, `is not a usable pattern: ${(err as Error).message}`));
  }
  for (const key of ['database', 'schema', 'user', 'host'] as const) {
    const value = m[key];
    if (value === null || value === undefined) continue;
    const at = `${field}.${key}`;
    if (value.length === 0 || value.length > MAX_SETTING || value.includes('\0')) {
      problems.push(problem(at, `must be 1 to ${MAX_SETTING} characters without NUL`));
      continue;
    }
    try {
      const parts = parseTemplate(value);
      const literal = parts.every((p) => 'text' in p);
      if (engine === 'pglite' && key === 'database' && literal && !WAREHOUSE_NAME.test(value))
        problems.push(problem(at, 'must name the warehouse: letters, digits, _ and -', value));
    } catch (err) {
      problems.push(problem(at, `is not a valid template: ${(err as Error).message}`, value));
    }
    if (engine === 'pglite' && (key === 'user' || key === 'host'))
      problems.push(problem(at, `the embedded pglite engine has no ${key}`));
  }
  if (m.password !== null && m.password !== undefined) {
    if (engine === 'pglite')
      problems.push(problem(`${field}.password`, 'the embedded pglite engine has no password'));
    else if (m.password.length > 1024 || m.password.includes('\0'))
      problems.push(problem(`${field}.password`, 'must be at most 1024 characters without NUL'));
  }
  return problems;
}

/** What create and update accept; on update, an omitted field keeps its stored value. */
export interface ConnectionInput {
  readonly name?: string | null | undefined;
  readonly engine?: string | null | undefined;
  readonly host?: string | null | undefined;
  readonly port?: number | null | undefined;
  readonly database?: string | null | undefined;
  readonly user?: string | null | undefined;
  /** Omitted keeps the stored password; null or "" clears it. */
  readonly password?: string | null | undefined;
  readonly schema?: string | null | undefined;
  readonly tls?: boolean | null | undefined;
  readonly onNoMatch?: OnNoMatch | null | undefined;
  /** Replaces every mapping when given (mapping passwords must then be given again). */
  readonly credentialMappings?: readonly MappingDraft[] | null | undefined;
}

/** The stored connection with the given changes applied (create: nothing stored). */
export function mergeDraft(current: Connection | null, input: ConnectionInput): ConnectionDraft {
  const pick = <T>(given: T | null | undefined, stored: T, fallback: T): T =>
    given === undefined ? (current ? stored : fallback) : given === null ? fallback : given;
  const engine = pick(input.engine, current?.engine ?? '', '');
  return {
    name: pick(input.name, current?.name ?? '', ''),
    engine,
    host: pick(input.host, current?.host ?? '', ''),
    port: input.port === undefined ? (current?.port ?? null) : input.port,
    database: pick(input.database, current?.database ?? '', ''),
    user: pick(input.user, current?.user ?? '', ''),
    password: input.password === undefined ? (current?.password ?? null) : input.password || null,
    schema: input.schema === undefined ? (current?.schema ?? null) : input.schema || null,
    tls: pick(input.tls, current?.tls ?? false, false),
    onNoMatch: pick(input.onNoMatch, current?.onNoMatch ?? 'DENY', 'DENY'),
    credentialMappings:
      input.credentialMappings === undefined || input.credentialMappings === null
        ? (current?.credentialMappings ?? [])
        : input.credentialMappings,
  };
}
