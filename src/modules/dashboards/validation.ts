import { AppError, echo, type Problem } from '../../errors.ts';
import { randomToken } from '../../ids.ts';
import { loadGate } from '../data/gate.ts';
import type { SqlDialect } from '../query-gate/index.ts';
import {
  type DashboardFilter,
  FILTER_TYPES,
  type FilterType,
  FORMAT_STYLES,
  type FormatStyle,
  type Tile,
  type TileFormat,
  VISUALIZATIONS,
  type Visualization,
} from './types.ts';

/** Limits of one dashboard (docs/dashboards.md "Limits"). */
export const LIMITS = {
  titleLength: 200,
  descriptionLength: 2000,
  tiles: 50,
  filters: 20,
  sqlLength: 100_000,
  columnNameLength: 128,
  gridColumns: 12,
  gridRows: 1000,
  tileHeight: 40,
  filterValues: 500,
  filterValueLength: 1000,
  maxCacheTtlSeconds: 86_400,
} as const;

export const DEFAULT_CACHE_TTL_SECONDS = 60;
export const FILTER_ID = /^[a-z][a-z0-9_]{0,39}$/;
export const TILE_ID = /^[A-Za-z0-9_-]{1,40}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const CURRENCY = /^[A-Z]{3}$/;

type Maybe<T> = T | null | undefined;

export interface TileInput {
  readonly id?: Maybe<string>;
  readonly title: string;
  readonly sql: string;
  readonly visualization: string;
  readonly bindings?: Maybe<{
    readonly x?: Maybe<string>;
    readonly y?: Maybe<readonly string[]>;
    readonly group?: Maybe<string>;
    readonly format?: Maybe<{
      readonly style?: Maybe<string>;
      readonly decimals?: Maybe<number>;
      readonly currency?: Maybe<string>;
      readonly prefix?: Maybe<string>;
      readonly suffix?: Maybe<string>;
    }>;
  }>;
  readonly position: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
}

export interface FilterInput {
  readonly id: string;
  readonly label: string;
  readonly type: string;
  readonly defaultValues?: Maybe<readonly string[]>;
  readonly optionsSql?: Maybe<string>;
}

const problem = (field: string, message: string, item?: string): Problem => ({
  code: 'BAD_USER_INPUT',
  field,
  message,
  ...(item === undefined ? {} : { item: echo(item) }),
});

/** Text a user sees: trimmed, 1..max characters, no control characters. */
export function textProblems(value: string, field: string, max: number, allowEmpty = false): Problem[] {
  const trimmed = value.trim();
  if ((!allowEmpty && trimmed.length === 0) || trimmed.length > max)
    return [problem(field, `must be ${allowEmpty ? 0 : 1} to ${max} characters`)];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value))
    return [problem(field, 'must not contain control characters')];
  if (!value.isWellFormed()) return [problem(field, 'must be well-formed Unicode')];
  return [];
}

export function cacheTtlProblems(ttl: Maybe<number>): Problem[] {
  if (ttl === null || ttl === undefined) return [];
  return Number.isInteger(ttl) && ttl >= 0 && ttl <= LIMITS.maxCacheTtlSeconds
    ? []
    : [problem('cacheTtlSeconds', `must be 0 to ${LIMITS.maxCacheTtlSeconds}`)];
}

function sqlProblems(sql: string, field: string): Problem[] {
  if (sql.trim().length === 0 || sql.length > LIMITS.sqlLength)
    return [problem(field, `must be 1 to ${LIMITS.sqlLength} characters`)];
  if (sql.includes('\u0000') || !sql.isWellFormed())
    return [problem(field, 'must be text without NUL characters')];
  return [];
}

function columnProblems(name: Maybe<string>, field: string): Problem[] {
  if (name === null || name === undefined) return [];
  return name.length === 0 || name.length > LIMITS.columnNameLength || name.includes('\u0000')
    ? [problem(field, `must be a column name of 1 to ${LIMITS.columnNameLength} characters`)]
    : [];
}

/** The parameter names a filter gives SQL: `{{id}}`, or `{{id_from}}` and `{{id_to}}` for a date range. */
export function parameterNamesOf(filter: { id: string; type: FilterType }): string[] {
  return filter.type === 'DATE_RANGE' ? [`${filter.id}_from`, `${filter.id}_to`] : [filter.id];
}

/** Checks one filter's values against its type: the problems, with `field` naming the input. */
export function filterValueProblems(type: FilterType, values: readonly string[], field: string): Problem[] {
  if (values.length > LIMITS.filterValues) return [problem(field, `at most ${LIMITS.filterValues} values`)];
  for (const [i, v] of values.entries()) {
    // A value is bound as given, never trimmed, so its limit counts every character it has.
    if (v.length > LIMITS.filterValueLength)
      return [problem(`${field}[${i}]`, `must be at most ${LIMITS.filterValueLength} characters`)];
    const p = textProblems(v, `${field}[${i}]`, LIMITS.filterValueLength, true);
    if (p.length > 0) return p;
  }
  if (values.length === 0) return [];
  switch (type) {
    case 'SINGLE_SELECT':
    case 'TEXT':
      return values.length === 1 ? [] : [problem(field, 'takes one value')];
    case 'MULTI_SELECT':
      return [];
    case 'DATE_RANGE': {
      if (values.length !== 2) return [problem(field, 'takes two dates: from and to')];
      const bad = values.findIndex((v) => !isIsoDate(v));
      if (bad >= 0) return [problem(`${field}[${bad}]`, 'must be a date YYYY-MM-DD', values[bad])];
      return values[0]! <= values[1]! ? [] : [problem(field, 'from must not be after to')];
    }
  }
}

function isIsoDate(v: string): boolean {
  if (!ISO_DATE.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** Validates and normalizes the filters of a dashboard. */
export function checkFilters(inputs: readonly FilterInput[]): {
  filters: DashboardFilter[];
  problems: Problem[];
} {
  const problems: Problem[] = [];
  if (inputs.length > LIMITS.filters) problems.push(problem('filters', `at most ${LIMITS.filters} filters`));
  const names = new Set<string>();
  const filters: DashboardFilter[] = [];
  for (const [i, f] of inputs.entries()) {
    const at = `filters[${i}]`;
    const type = f.type as FilterType;
    if (!FILTER_ID.test(f.id)) problems.push(problem(`${at}.id`, 'must match ^[a-z][a-z0-9_]{0,39}$', f.id));
    if (!FILTER_TYPES.includes(type)) problems.push(problem(`${at}.type`, 'unknown filter type', f.type));
    problems.push(...textProblems(f.label, `${at}.label`, LIMITS.titleLength));
    for (const name of FILTER_TYPES.includes(type) ? parameterNamesOf({ id: f.id, type }) : [f.id]) {
      if (names.has(name)) problems.push(problem(`${at}.id`, 'names a parameter another filter names', name));
      names.add(name);
    }
    const defaults = f.defaultValues ?? [];
    if (FILTER_TYPES.includes(type))
      problems.push(...filterValueProblems(type, defaults, `${at}.defaultValues`));
    const isSelect = type === 'SINGLE_SELECT' || type === 'MULTI_SELECT';
    const optionsSql = f.optionsSql ?? null;
    if (optionsSql !== null && !isSelect)
      problems.push(problem(`${at}.optionsSql`, 'only select filters have options'));
    if (optionsSql !== null && isSelect) problems.push(...sqlProblems(optionsSql, `${at}.optionsSql`));
    filters.push({ id: f.id, label: f.label.trim(), type, defaultValues: [...defaults], optionsSql });
  }
  return { filters, problems };
}

/** Validates and normalizes the tiles of a dashboard; tiles without an id get a new one. */
export function checkTiles(inputs: readonly TileInput[]): { tiles: Tile[]; problems: Problem[] } {
  const problems: Problem[] = [];
  if (inputs.length > LIMITS.tiles) problems.push(problem('tiles', `at most ${LIMITS.tiles} tiles`));
  const ids = new Set<string>();
  const tiles: Tile[] = [];
  for (const [i, t] of inputs.entries()) {
    const at = `tiles[${i}]`;
    const id = t.id ?? `t_${randomToken(8)}`;
    if (!TILE_ID.test(id)) problems.push(problem(`${at}.id`, 'must match ^[A-Za-z0-9_-]{1,40}$', id));
    else if (ids.has(id)) problems.push(problem(`${at}.id`, 'is used by another tile', id));
    ids.add(id);
    problems.push(...textProblems(t.title, `${at}.title`, LIMITS.titleLength));
    problems.push(...sqlProblems(t.sql, `${at}.sql`));
    const visualization = t.visualization as Visualization;
    if (!VISUALIZATIONS.includes(visualization))
      problems.push(problem(`${at}.visualization`, 'unknown visualization', t.visualization));
    const b = t.bindings ?? {};
    const y = [...(b.y ?? [])];
    if (y.length > 20) problems.push(problem(`${at}.bindings.y`, 'at most 20 series'));
    problems.push(
      ...columnProblems(b.x, `${at}.bindings.x`),
      ...columnProblems(b.group, `${at}.bindings.group`),
    );
    for (const [j, c] of y.entries()) problems.push(...columnProblems(c, `${at}.bindings.y[${j}]`));
    const format = checkFormat(b.format, `${at}.bindings.format`, problems);
    const p = t.position;
    const grid = LIMITS.gridColumns;
    const ints = [p.x, p.y, p.w, p.h].every(Number.isInteger);
    if (!ints || p.x < 0 || p.w < 1 || p.x + p.w > grid)
      problems.push(problem(`${at}.position`, `x >= 0, w >= 1 and x + w <= ${grid}`));
    else if (p.y < 0 || p.y > LIMITS.gridRows || p.h < 1 || p.h > LIMITS.tileHeight)
      problems.push(
        problem(`${at}.position`, `0 <= y <= ${LIMITS.gridRows} and 1 <= h <= ${LIMITS.tileHeight}`),
      );
    tiles.push({
      id,
      title: t.title.trim(),
      sql: t.sql,
      visualization,
      bindings: { x: b.x ?? null, y, group: b.group ?? null, format },
      position: { x: p.x, y: p.y, w: p.w, h: p.h },
    });
  }
  return { tiles, problems };
}

function checkFormat(
  f: NonNullable<TileInput['bindings']>['format'],
  field: string,
  problems: Problem[],
): TileFormat | null {
  if (f === null || f === undefined) return null;
  const style = (f.style ?? 'AUTO') as FormatStyle;
  if (!FORMAT_STYLES.includes(style))
    problems.push(problem(`${field}.style`, 'unknown format style', f.style!));
  const decimals = f.decimals ?? null;
  if (decimals !== null && (!Number.isInteger(decimals) || decimals < 0 || decimals > 10))
    problems.push(problem(`${field}.decimals`, 'must be 0 to 10'));
  const currency = f.currency ?? null;
  if (currency !== null && !CURRENCY.test(currency))
    problems.push(problem(`${field}.currency`, 'must be an ISO 4217 code such as EUR', currency));
  for (const key of ['prefix', 'suffix'] as const) {
    const v = f[key];
    if (v !== null && v !== undefined) problems.push(...textProblems(v, `${field}.${key}`, 20, true));
  }
  return { style, decimals, currency, prefix: f.prefix ?? null, suffix: f.suffix ?? null };
}

/**
 * The problems of the tiles' and filter options' placeholders (docs/dashboards.md
 * "Placeholders"), read by the query gate's own lexer for the domain's dialect, the one that
 * binds them when the tile runs: so a tile saves exactly when its placeholders run. A tile whose
 * text the gate refuses (`{{ name }}`, a stray brace) or that uses a name no filter gives is
 * refused when saved; `{{x}}` inside a string, a quoted name or a comment is text, not a use.
 */
export async function unboundPlaceholderProblems(
  tiles: readonly Tile[],
  filters: readonly DashboardFilter[],
  dialect: SqlDialect,
): Promise<Problem[]> {
  const gate = await loadGate();
  const known = new Set(filters.flatMap(parameterNamesOf));
  const problems: Problem[] = [];
  const namesOf = async (sql: string, field: string): Promise<string[]> => {
    try {
      return await gate.queryParameterNames(dialect, sql);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      problems.push(problem(field, err.message));
      return [];
    }
  };
  for (const [i, t] of tiles.entries()) {
    for (const name of await namesOf(t.sql, `tiles[${i}].sql`))
      if (!known.has(name))
        problems.push(problem(`tiles[${i}].sql`, 'uses a parameter no filter defines', name));
  }
  for (const [i, f] of filters.entries()) {
    const field = `filters[${i}].optionsSql`;
    for (const name of f.optionsSql ? await namesOf(f.optionsSql, field) : [])
      problems.push(problem(field, 'filter options cannot use parameters', name));
  }
  return problems;
}
