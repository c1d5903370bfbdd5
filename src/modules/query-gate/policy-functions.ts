import { AppError, echo, type Problem } from '../../errors.ts';

/**
 * The compat policy functions (docs/data-access.md "Row policies"). Each call in a policy becomes bound parameters;
 * an attribute value never becomes SQL text. Names are matched case-insensitively.
 */
export const POLICY_FUNCTIONS = [
  'user_email',
  'user_attribute',
  'user_attribute_str',
  'user_attribute_int',
  'user_attribute_str_list',
  'user_attribute_int_list',
] as const;
export type PolicyFunction = (typeof POLICY_FUNCTIONS)[number];

export function asPolicyFunction(name: string): PolicyFunction | null {
  const lower = name.toLowerCase();
  return (POLICY_FUNCTIONS as readonly string[]).includes(lower) ? (lower as PolicyFunction) : null;
}

export function isListFunction(fn: PolicyFunction): boolean {
  return fn === 'user_attribute_str_list' || fn === 'user_attribute_int_list';
}

/** What a call binds to: one value, or a list of values (each its own parameter in `IN (…)`). */
export type BoundValue =
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'untyped'; readonly value: string }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'text_list'; readonly values: readonly string[] }
  | { readonly kind: 'int_list'; readonly values: readonly number[] };

/** Binds one compat call of a policy to a value (the user's own, or a sample for checks). */
export type PolicyBinder = (fn: PolicyFunction, key: string | null) => BoundValue;

export interface GateUser {
  readonly email: string;
  /** Effective attributes (docs/data-access.md "Effective attributes"): key → value. */
  readonly attributes: ReadonlyMap<string, string>;
  /**
   * Replaces the binding of each compat call (`bindPolicyFunction`) when set. The rewrite cache
   * uses it to learn which call fills which parameter; what it returns is only ever a bound
   * value of the kind the call yields, never SQL text, so the rewrite and its check are unchanged.
   */
  readonly binder?: PolicyBinder;
}

/**
 * Resolves one policy function call for the user. `USER_ATTRIBUTE` is untyped (the database
 * infers the parameter's type from the comparison, as the compat language expects);
 * `_STR` is text, `_INT` a safe integer, lists are JSON arrays.
 */
export function bindPolicyFunction(fn: PolicyFunction, key: string | null, user: GateUser): BoundValue {
  return user.binder !== undefined ? user.binder(fn, key) : bindForUser(fn, key, user);
}

/** `bindPolicyFunction` from the user's own email and attributes (whatever `binder` says). */
export function bindForUser(fn: PolicyFunction, key: string | null, user: GateUser): BoundValue {
  if (fn === 'user_email') return { kind: 'text', value: user.email };
  if (key === null) throw new Error('policy function without key'); // the parsers check arity first
  const raw = user.attributes.get(key);
  if (raw === undefined) {
    throw new AppError(
      'MISSING_ATTRIBUTE',
      `The user has no attribute "${echo(key)}" that a row policy needs`,
      {
        extra: { attribute: key },
      },
    );
  }
  switch (fn) {
    case 'user_attribute':
      return { kind: 'untyped', value: raw };
    case 'user_attribute_str':
      return { kind: 'text', value: raw };
    case 'user_attribute_int':
      return { kind: 'int', value: parseInteger(raw, key) };
    case 'user_attribute_str_list':
      return { kind: 'text_list', values: parseList(raw, key).map((v) => listText(v, key)) };
    case 'user_attribute_int_list':
      return {
        kind: 'int_list',
        values: parseList(raw, key).map((v) =>
          typeof v === 'number' ? checkInteger(v, key) : parseInteger(listText(v, key), key),
        ),
      };
  }
}

function typeMismatch(key: string, expected: string): AppError {
  return new AppError('ATTRIBUTE_TYPE_MISMATCH', `Attribute "${echo(key)}" is not ${expected}`, {
    extra: { attribute: key },
  });
}

function parseInteger(raw: string, key: string): number {
  const text = raw.trim();
  if (!/^[+-]?\d{1,16}$/.test(text)) throw typeMismatch(key, 'an integer');
  return checkInteger(Number(text), key);
}

function checkInteger(n: number, key: string): number {
  if (!Number.isSafeInteger(n)) throw typeMismatch(key, 'a safe integer');
  return n;
}

function parseList(raw: string, key: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw typeMismatch(key, 'a JSON array');
  }
  if (!Array.isArray(parsed)) throw typeMismatch(key, 'a JSON array');
  return parsed;
}

/** List elements are strings; numbers are accepted as their decimal text. */
function listText(value: unknown, key: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw typeMismatch(key, 'a JSON array of strings or numbers');
}

/** A well-typed stand-in value for each function, for save-time validation (no real user). */
export function sampleBinding(fn: PolicyFunction): BoundValue {
  switch (fn) {
    case 'user_email':
    case 'user_attribute_str':
      return { kind: 'text', value: '' };
    case 'user_attribute':
      return { kind: 'untyped', value: '' };
    case 'user_attribute_int':
      return { kind: 'int', value: 0 };
    case 'user_attribute_str_list':
      return { kind: 'text_list', values: [''] };
    case 'user_attribute_int_list':
      return { kind: 'int_list', values: [0] };
  }
}

/**
 * The verdict of a save-time policy check, shared by both dialects: `compile` runs the dialect's
 * policy compiler with sample bindings and reports each column it references. A gate refusal is
 * one problem naming the policy; with known `columns`, each unknown column is one problem.
 */
export function policyProblems(
  policy: string,
  columns: readonly string[] | null,
  sameColumn: (a: string, b: string) => boolean,
  compile: (noteColumn: (column: string) => void) => void,
): Problem[] {
  const seen = new Set<string>();
  try {
    compile((column) => seen.add(column));
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return [{ code: 'BAD_USER_INPUT', field: 'policy', item: echo(policy), message: error.message }];
  }
  if (columns === null) return [];
  return [...seen]
    .filter((c) => !columns.some((known) => sameColumn(known, c)))
    .map((c) => ({
      code: 'BAD_USER_INPUT',
      field: 'policy',
      item: c,
      message: `Unknown column "${echo(c)}"`,
    }));
}
