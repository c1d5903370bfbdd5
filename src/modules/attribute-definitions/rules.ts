import { echo, type Problem } from '../../errors.ts';

/** docs/attribute-definitions.md "Types": `STRING_LIST` is the `string[]` type, stored as a JSON array. */
export const ATTRIBUTE_TYPES = ['STRING', 'STRING_LIST', 'INT', 'BOOL', 'ENUM'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];
/** docs/attribute-definitions.md "Precedence": which stored source wins. */
export const PRECEDENCE_RULES = ['TRANSIENT_FIRST', 'JWT_WINS', 'DATABASE_ONLY'] as const;
export type PrecedenceRule = (typeof PRECEDENCE_RULES)[number];
/** docs/attribute-definitions.md "Transient overrides": whether a session's value may stand. */
export const TRANSIENT_OVERRIDES = ['ANY', 'NARROW_ONLY', 'NEVER'] as const;
export type TransientOverride = (typeof TRANSIENT_OVERRIDES)[number];

export interface AttributeDefinition {
  readonly key: string;
  readonly type: AttributeType;
  /** Matched against the whole value (each element of a list). */
  readonly pattern: string | null;
  /** Required for ENUM; optional for STRING and STRING_LIST. */
  readonly allowedValues: readonly string[] | null;
  readonly precedence: PrecedenceRule;
  readonly transientOverride: TransientOverride;
}

/** A workspace's definitions by key. A `Map`, so `__proto__` is just a key. */
export type AttributeDefinitions = ReadonlyMap<string, AttributeDefinition>;
export const NO_DEFINITIONS: AttributeDefinitions = new Map();

/** What an undeclared key gets: exactly the compat behaviour (docs/data-access.md "Effective attributes"). */
export const COMPAT_RULE = { precedence: 'TRANSIENT_FIRST', transientOverride: 'ANY' } as const;

export const MAX_PATTERN_LENGTH = 200;
export const MAX_ALLOWED_VALUES = 200;
const INTEGER = /^[+-]?\d{1,16}$/;

const patterns = new Map<string, RegExp | null>();
/** The pattern anchored to the whole value, or null when it does not compile. Memoised per text. */
export function compilePattern(pattern: string): RegExp | null {
  let re = patterns.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${pattern})$`, 'u');
    } catch {
      re = null;
    }
    if (patterns.size > 1000) patterns.clear();
    patterns.set(pattern, re);
  }
  return re;
}

/** The elements of a list value, or null when it is not a JSON array of strings. */
export function listElements(value: string): string[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) return null;
  return parsed as string[];
}

/** Why `value` is not a value of the declared key, or null when it is one. */
export function valueProblem(def: AttributeDefinition, value: string): string | null {
  const fits = (v: string): string | null => {
    if (def.pattern !== null && !compilePattern(def.pattern)?.test(v)) {
      return `must match the pattern ${def.pattern}`;
    }
    if (def.allowedValues !== null && !def.allowedValues.includes(v)) {
      return `must be one of ${def.allowedValues.map((a) => JSON.stringify(a)).join(', ')}`;
    }
    return null;
  };
  switch (def.type) {
    case 'STRING':
      return fits(value);
    case 'ENUM':
      return def.allowedValues?.includes(value)
        ? null
        : `must be one of ${(def.allowedValues ?? []).map((a) => JSON.stringify(a)).join(', ')}`;
    case 'INT':
      return INTEGER.test(value) && Number.isSafeInteger(Number(value)) ? null : 'must be an integer';
    case 'BOOL':
      return value === 'true' || value === 'false' ? null : 'must be true or false';
    case 'STRING_LIST': {
      const elements = listElements(value);
      if (elements === null) return 'must be a JSON array of strings';
      for (const e of elements) {
        const problem = fits(e);
        if (problem !== null) return `element ${JSON.stringify(e).slice(0, 80)} ${problem}`;
      }
      return null;
    }
  }
}

/**
 * ATTRIBUTE_TYPE_MISMATCH problems of writing `attributes` (docs/attribute-definitions.md "Writes"):
 * one per value of a declared key that does not fit its definition. Undeclared keys pass.
 */
export function typeProblems(
  definitions: AttributeDefinitions,
  attributes: readonly { readonly key: string; readonly value: string }[],
  field: string,
): Problem[] {
  const problems: Problem[] = [];
  attributes.forEach(({ key, value }, i) => {
    const def = definitions.get(key);
    if (!def) return;
    const problem = valueProblem(def, value);
    if (problem !== null) {
      problems.push({
        code: 'ATTRIBUTE_TYPE_MISMATCH',
        field: `${field}[${i}].value`,
        item: key,
        message: `is declared ${def.type}: ${problem}`,
      });
    }
  });
  return problems;
}

/** Whether `transient` is within `stored` for NARROW_ONLY: a sub-list, or the same scalar. */
export function narrows(def: AttributeDefinition, transient: string, stored: string): boolean {
  if (def.type !== 'STRING_LIST') return transient === stored;
  const wanted = listElements(transient);
  const held = listElements(stored);
  if (wanted === null || held === null) return false;
  const allowed = new Set(held);
  return wanted.every((v) => allowed.has(v));
}

/** The stored sources a rule reads, strongest first. */
export function storedOrder(rule: PrecedenceRule): readonly ('DATABASE' | 'JWT')[] {
  switch (rule) {
    case 'TRANSIENT_FIRST':
      return ['DATABASE', 'JWT'];
    case 'JWT_WINS':
      return ['JWT', 'DATABASE'];
    case 'DATABASE_ONLY':
      return ['DATABASE'];
  }
}

/** Problems with a definition itself (what defineAttribute refuses). */
export function definitionProblems(def: AttributeDefinition): Problem[] {
  const problems: Problem[] = [];
  const bad = (field: string, message: string, item?: string) =>
    problems.push({ code: 'BAD_USER_INPUT', field, message, ...(item === undefined ? {} : { item }) });
  if (def.pattern !== null) {
    if (def.type !== 'STRING' && def.type !== 'STRING_LIST') bad('pattern', `is not allowed for ${def.type}`);
    else if (def.pattern.length > MAX_PATTERN_LENGTH)
      bad('pattern', `must be at most ${MAX_PATTERN_LENGTH} characters`);
    else if (compilePattern(def.pattern) === null)
      bad('pattern', 'is not a valid regular expression', echo(def.pattern));
  }
  if (def.allowedValues !== null) {
    if (def.type !== 'STRING' && def.type !== 'STRING_LIST' && def.type !== 'ENUM')
      bad('allowedValues', `is not allowed for ${def.type}`);
    else if (def.allowedValues.length === 0 || def.allowedValues.length > MAX_ALLOWED_VALUES)
      bad('allowedValues', `needs 1 to ${MAX_ALLOWED_VALUES} values`);
    else if (new Set(def.allowedValues).size !== def.allowedValues.length)
      bad('allowedValues', 'has a value more than once');
  } else if (def.type === 'ENUM') {
    bad('allowedValues', 'is required for ENUM');
  }
  return problems;
}
