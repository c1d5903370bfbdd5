import { type AppError, badInput, echo } from '../../errors.ts';
import { queryRefused } from './errors.ts';
import type { SqlDialect } from './types.ts';

/**
 * Query parameters: `{{name}}` placeholders in a query's SQL (dashboard filters), each bound as a
 * parameter, never spliced (docs/query-gate.md "Query parameters"). This file holds what both
 * dialects share: the value types, their kinds, and the errors; each dialect's lexer finds the
 * placeholders and its printer writes the slots.
 */

/** A value for one `{{name}}`: text, a number, a boolean, SQL NULL, or a list (only in `IN (…)`). */
export type QueryParameterValue = string | number | boolean | null | readonly (string | number)[];

/** What one value binds as; the printed SQL depends on the kind (its cast), never on the value. */
export type ParameterKind =
  | 'text'
  | 'int'
  | 'numeric'
  | 'bool'
  | 'null'
  | 'text_list'
  | 'int_list'
  | 'numeric_list';

/** A placeholder's name: a plain identifier, matched exactly. */
export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** One occurrence of a `{{name}}` in the query, in the order of the text. */
export interface ParameterUse {
  readonly name: string;
}

/** Where a query parameter's value goes: the parameter at `index` (0-based) of the rewritten query. */
export interface QueryParameterSlot {
  readonly index: number;
  readonly name: string;
  /** For a list expanded into one parameter per element (MySQL): which element; null = the whole value. */
  readonly element: number | null;
}

/** The kind of a value, or null when it is not a value a parameter can hold. */
export function kindOf(value: unknown): ParameterKind | null {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    return Number.isSafeInteger(value) ? 'int' : 'numeric';
  }
  if (!Array.isArray(value) || value.length === 0) return null;
  if (value.every((v) => typeof v === 'string')) return 'text_list';
  if (!value.every((v) => typeof v === 'number' && Number.isFinite(v))) return null;
  return value.every((v) => Number.isSafeInteger(v)) ? 'int_list' : 'numeric_list';
}

export function isListKind(kind: ParameterKind): boolean {
  return kind.endsWith('_list');
}

/**
 * The shape of the provided values that the printed SQL can depend on: each name's kind, and
 * for lists expanded element by element (MySQL) their length. It keys the rewrite cache, so
 * entries are shared by every value of the same shape and a value never is part of a key.
 */
export function parameterShape(
  parameters: Readonly<Record<string, unknown>> | undefined,
  dialect: SqlDialect,
): string {
  if (parameters === undefined) return '';
  return JSON.stringify(
    Object.keys(parameters)
      .sort()
      .map((name) => {
        const value = parameters[name];
        const kind = kindOf(value);
        const list = kind !== null && isListKind(kind) && Array.isArray(value);
        return [name, kind ?? 'invalid', dialect === 'mysql' && list ? value.length : null];
      }),
  );
}

/**
 * The value of `{{name}}`, checked: present, of a kind a parameter can hold, and (PostgreSQL)
 * without a NUL character, which PostgreSQL text cannot hold. BAD_USER_INPUT names the parameter.
 */
export function parameterValue(
  parameters: Readonly<Record<string, unknown>> | undefined,
  name: string,
  dialect: SqlDialect,
): { kind: ParameterKind; value: QueryParameterValue } {
  if (parameters === undefined || !Object.hasOwn(parameters, name) || parameters[name] === undefined) {
    throw parameterProblem(name, `The query uses {{${name}}} but no value was given for it`);
  }
  const value = parameters[name] as QueryParameterValue;
  const kind = kindOf(value);
  if (kind === null) {
    throw parameterProblem(
      name,
      `The value of {{${name}}} must be text, a finite number, a boolean, null, or a non-empty list of all strings or all numbers`,
    );
  }
  if (dialect === 'postgres') {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string' && v.includes('\u0000')) {
        throw parameterProblem(name, `The value of {{${name}}} contains a NUL character`);
      }
    }
  }
  return { kind, value };
}

/** A list value where a single value goes. */
export function listNotAllowed(name: string): AppError {
  return parameterProblem(
    name,
    `{{${name}}} is a list: a list can only stand alone inside IN (…), as in x IN ({{${name}}})`,
  );
}

export function parameterProblem(name: string, message: string): AppError {
  return badInput(message, [{ code: 'BAD_USER_INPUT', field: 'parameters', item: echo(name), message }]);
}

/** Something that looks like a placeholder but is not exactly `{{name}}` where a token goes. */
export function malformedPlaceholder(detail: string): AppError {
  return queryRefused(
    `Query parameters are written {{name}} (a plain name, no spaces) where a value goes, outside strings, quoted names and comments (${detail})`,
    { construct: 'query parameter' },
  );
}

/** A placeholder where no value can go (a table, a column name, an alias…). */
export function placeholderMisplaced(name: string): AppError {
  return queryRefused(`{{${echo(name)}}} can only stand where a value goes`, {
    construct: 'query parameter',
  });
}
