import type { JWK } from 'jose';
import { echo, type Problem } from '../../errors.ts';
import { ATTRIBUTE_KEY, RESERVED_ATTRIBUTE_KEYS } from '../attributes/validation.ts';
import type { StoredAttributeMapping, StoredGroupMapping } from './tables.ts';

export const CLIENT_AUTH_METHODS = {
  CLIENT_SECRET_BASIC: 'client_secret_basic',
  CLIENT_SECRET_POST: 'client_secret_post',
  PRIVATE_KEY_JWT: 'private_key_jwt',
} as const;
export type ClientAuthMethod = keyof typeof CLIENT_AUTH_METHODS;

export interface IssuerInput {
  readonly id?: string | null;
  readonly name?: string | null;
  readonly discoveryUrl?: string | null;
  readonly clientId?: string | null;
  readonly clientAuthMethod?: ClientAuthMethod | null;
  readonly clientSecret?: string | null;
  /** A private JWK as JSON text, for PRIVATE_KEY_JWT. */
  readonly privateKeyJwk?: string | null;
  readonly scopes?: readonly string[] | null;
  readonly attributeMappings?: readonly StoredAttributeMapping[] | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
export const DEFAULT_SCOPES = ['openid', 'email', 'profile'] as const;

/** Why a discovery URL is refused, or null: https, or http on a loopback host only (tests, local IdPs). */
export function discoveryUrlProblem(value: string): string | null {
  if (value.length > 2000) return 'is longer than 2000 characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash || url.search) return 'must have no query or fragment';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return null;
  return 'must be https (http only on a loopback host)';
}

/** The private JWK in `text`, or why it is refused. */
export function parsePrivateJwk(text: string): JWK | string {
  if (text.length > 16_384) return 'is longer than 16384 characters';
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    return 'is not JSON';
  }
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) return 'is not a JWK object';
  const k = jwk as JWK;
  if (!['RSA', 'EC', 'OKP'].includes(String(k.kty))) return 'must be an RSA, EC or OKP key';
  if (typeof k.d !== 'string') return 'must be a private key (with "d")';
  return k;
}

/** Every problem of an issuer input; `existing` says whether it updates a stored issuer. */
export function issuerProblems(input: IssuerInput, existing: boolean): Problem[] {
  const problems: Problem[] = [];
  const need = (field: string, value: unknown) => {
    if (!existing && (value === null || value === undefined))
      problems.push({ code: 'BAD_USER_INPUT', field, message: 'is required' });
  };
  need('name', input.name);
  need('discoveryUrl', input.discoveryUrl);
  need('clientId', input.clientId);
  if (input.name != null && !NAME.test(input.name))
    problems.push({
      code: 'BAD_USER_INPUT',
      field: 'name',
      item: echo(input.name),
      message: 'must be 1 to 64 letters, digits, _ . - (it appears in login URLs)',
    });
  if (input.discoveryUrl != null) {
    const why = discoveryUrlProblem(input.discoveryUrl);
    if (why)
      problems.push({
        code: 'BAD_USER_INPUT',
        field: 'discoveryUrl',
        item: echo(input.discoveryUrl),
        message: why,
      });
  }
  if (input.clientId != null && (input.clientId.length === 0 || input.clientId.length > 500))
    problems.push({ code: 'BAD_USER_INPUT', field: 'clientId', message: 'must be 1 to 500 characters' });
  if (input.clientSecret != null && (input.clientSecret.length === 0 || input.clientSecret.length > 2000))
    problems.push({ code: 'BAD_USER_INPUT', field: 'clientSecret', message: 'must be 1 to 2000 characters' });
  if (input.privateKeyJwk != null) {
    const parsed = parsePrivateJwk(input.privateKeyJwk);
    if (typeof parsed === 'string')
      problems.push({ code: 'BAD_USER_INPUT', field: 'privateKeyJwk', message: parsed });
  }
  if (input.scopes != null) {
    if (!input.scopes.includes('openid'))
      problems.push({ code: 'BAD_USER_INPUT', field: 'scopes', message: 'must include openid' });
    if (input.scopes.length > 30)
      problems.push({ code: 'BAD_USER_INPUT', field: 'scopes', message: 'at most 30 scopes' });
    input.scopes.forEach((s, i) => {
      if (!SCOPE.test(s))
        problems.push({
          code: 'BAD_USER_INPUT',
          field: `scopes[${i}]`,
          item: echo(s),
          message: 'is not a scope token',
        });
    });
  }
  if (input.attributeMappings != null) problems.push(...attributeMappingProblems(input.attributeMappings));
  return problems;
}

export function attributeMappingProblems(mappings: readonly StoredAttributeMapping[]): Problem[] {
  const problems: Problem[] = [];
  if (mappings.length > 100)
    problems.push({ code: 'BAD_USER_INPUT', field: 'attributeMappings', message: 'at most 100 mappings' });
  const seen = new Set<string>();
  mappings.forEach((m, i) => {
    const at = `attributeMappings[${i}]`;
    if (m.claim.length === 0 || m.claim.length > 200)
      problems.push({ code: 'BAD_USER_INPUT', field: `${at}.claim`, message: 'must be 1 to 200 characters' });
    if (!ATTRIBUTE_KEY.test(m.attribute))
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `${at}.attribute`,
        item: echo(m.attribute),
        message: 'must match ^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$',
      });
    else if (RESERVED_ATTRIBUTE_KEYS.has(m.attribute.toLowerCase()))
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `${at}.attribute`,
        item: m.attribute,
        message: 'is a reserved key',
      });
    else if (seen.has(m.attribute))
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `${at}.attribute`,
        item: m.attribute,
        message: 'appears more than once',
      });
    seen.add(m.attribute);
  });
  return problems;
}

const PREFIX = /^[A-Za-z0-9_-]{1,64}$/;

export function settingsShapeProblems(input: {
  readonly roleClaims?: readonly string[] | null;
  readonly rolePrefix?: string | null;
  readonly groupMappings?: readonly StoredGroupMapping[] | null;
}): Problem[] {
  const problems: Problem[] = [];
  if (input.roleClaims != null) {
    if (input.roleClaims.length > 10)
      problems.push({ code: 'BAD_USER_INPUT', field: 'roleClaims', message: 'at most 10 claims' });
    input.roleClaims.forEach((c, i) => {
      if (c.length === 0 || c.length > 200)
        problems.push({
          code: 'BAD_USER_INPUT',
          field: `roleClaims[${i}]`,
          message: 'must be 1 to 200 characters',
        });
    });
  }
  if (input.rolePrefix != null && !PREFIX.test(input.rolePrefix))
    problems.push({
      code: 'BAD_USER_INPUT',
      field: 'rolePrefix',
      item: echo(input.rolePrefix),
      message: 'must be 1 to 64 letters, digits, _ or - (no dots)',
    });
  if (input.groupMappings != null) {
    if (input.groupMappings.length > 500)
      problems.push({ code: 'BAD_USER_INPUT', field: 'groupMappings', message: 'at most 500 mappings' });
    input.groupMappings.forEach((m, i) => {
      if (m.idpGroup.length === 0 || m.idpGroup.length > 512)
        problems.push({
          code: 'BAD_USER_INPUT',
          field: `groupMappings[${i}].idpGroup`,
          message: 'must be 1 to 512 characters',
        });
    });
  }
  return problems;
}
