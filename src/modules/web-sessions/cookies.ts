import { createHash, randomBytes } from 'node:crypto';

/**
 * The session cookie (docs/sso.md "Web sessions"): HttpOnly, SameSite=Lax, Path=/, and Secure
 * with the `__Host-` prefix, except when Tessera's public URL is plain http on a loopback host
 * (local development and the tests), where a browser would drop a Secure cookie.
 */
export interface CookiePolicy {
  readonly name: string;
  readonly secure: boolean;
  /** The origin of TESSERA_PUBLIC_URL: the only one whose requests a cookie authenticates. */
  readonly origin: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function cookiePolicy(publicUrl: string, name = 'tessera_session'): CookiePolicy {
  const url = new URL(publicUrl);
  const secure = !(url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  return { name: secure ? `__Host-${name}` : name, secure, origin: url.origin };
}

export function setCookie(
  policy: CookiePolicy,
  name: string,
  value: string,
  options: { maxAgeSeconds: number; path?: string },
): string {
  const parts = [
    `${name}=${value}`,
    `Path=${options.path ?? '/'}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Lax',
  ];
  if (policy.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The value of one cookie of a `Cookie` header, or undefined. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Whether a state-changing request may be authenticated by a cookie: it must say where it comes
 * from (`Origin`, which browsers send on every POST) and that must be Tessera's own origin. A
 * cross-site page can make a browser send the cookie on a top-level GET (SameSite=Lax), never
 * with a matching Origin.
 */
export function sameOrigin(request: Request, policy: CookiePolicy): boolean {
  const origin = request.headers.get('origin');
  if (origin === null || origin !== policy.origin) return false;
  const site = request.headers.get('sec-fetch-site');
  return site === null || site === 'same-origin';
}

/** A new secret for a cookie or link: 256 bits, base64url, with a kind prefix. */
export const newSecret = (prefix: string): string => `${prefix}${randomBytes(32).toString('base64url')}`;

/** What is stored instead of a secret: its SHA-256 (the secret has 256 bits; no salt needed). */
export const secretHash = (secret: string): Uint8Array => createHash('sha256').update(secret).digest();

/** A secret as this module mints them: prefix and 43 base64url characters. */
export const isSecret = (value: string, prefix: string): boolean =>
  value.length === prefix.length + 43 &&
  value.startsWith(prefix) &&
  /^[A-Za-z0-9_-]+$/.test(value.slice(prefix.length));
