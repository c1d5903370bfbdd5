import { echo, type Problem } from '../../errors.ts';

export interface AttributeInput {
  readonly key: string;
  readonly value: string;
}

/** docs/api-contract.md §4: attribute rules. */
export const ATTRIBUTE_KEY = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
export const MAX_ATTRIBUTE_VALUE_BYTES = 4096;
export const MAX_ATTRIBUTES_PER_SOURCE = 100;

/** Claim names a user attribute may not take: they would shadow the session token's own claims. */
export const RESERVED_ATTRIBUTE_KEYS: ReadonlySet<string> = new Set([
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'act',
  'email',
  'impersonated_user_id',
  'workspace_id',
]);

/** Every problem in an attribute list: bad keys, reserved keys, duplicates, oversized or NUL values. */
export function attributeProblems(
  attributes: readonly AttributeInput[],
  field = 'userAttributes',
): Problem[] {
  const problems: Problem[] = [];
  if (attributes.length > MAX_ATTRIBUTES_PER_SOURCE) {
    problems.push({
      code: 'BAD_USER_INPUT',
      field,
      message: `at most ${MAX_ATTRIBUTES_PER_SOURCE} attributes`,
    });
  }
  const seen = new Set<string>();
  attributes.forEach(({ key, value }, i) => {
    const at = `${field}[${i}]`;
    if (!ATTRIBUTE_KEY.test(key)) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `${at}.key`,
        item: echo(key),
        message: 'must match ^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$',
      });
    } else if (RESERVED_ATTRIBUTE_KEYS.has(key.toLowerCase())) {
      problems.push({ code: 'BAD_USER_INPUT', field: `${at}.key`, item: key, message: 'is a reserved key' });
    } else if (seen.has(key)) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `${at}.key`,
        item: key,
        message: 'appears more than once',
      });
    }
    seen.add(key);
    if (Buffer.byteLength(value, 'utf8') > MAX_ATTRIBUTE_VALUE_BYTES) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `${at}.value`,
        item: key,
        message: `must be at most ${MAX_ATTRIBUTE_VALUE_BYTES} bytes`,
      });
    }
    if (value.includes('\u0000')) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `${at}.value`,
        item: key,
        message: 'must not contain NUL characters',
      });
    }
  });
  return problems;
}

/** Attributes as a null-prototype-free `Map`, so `__proto__` is just another key. */
export const attributeMap = (attributes: readonly AttributeInput[]): Map<string, string> =>
  new Map(attributes.map((a) => [a.key, a.value]));
