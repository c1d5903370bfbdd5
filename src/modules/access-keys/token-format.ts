import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { randomToken } from '../../ids.ts';

/**
 * Access keys look like `tsk_<keyId>_<secret>`: the key id finds the row, the secret (256 random
 * bits) proves possession. Only SHA-256 of the secret is stored: with that much entropy a fast
 * hash is safe (no dictionary to attack), and it keeps verification cheap on every request.
 */
const PREFIX = 'tsk_';
const KEY_ID = /^[0-9a-z]{16}$/;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export interface ParsedAccessKey {
  readonly keyId: string;
  readonly secret: string;
}

export function generateAccessKey(): { keyId: string; secret: string; token: string } {
  const keyId = randomToken(10);
  const secret = randomBytes(32).toString('base64url');
  return { keyId, secret, token: `${PREFIX}${keyId}_${secret}` };
}

export const looksLikeAccessKey = (token: string) => token.startsWith(PREFIX);

export function parseAccessKey(token: string): ParsedAccessKey | null {
  if (!token.startsWith(PREFIX)) return null;
  const rest = token.slice(PREFIX.length);
  const sep = rest.indexOf('_');
  if (sep < 0) return null;
  const keyId = rest.slice(0, sep);
  const secret = rest.slice(sep + 1);
  return KEY_ID.test(keyId) && SECRET.test(secret) ? { keyId, secret } : null;
}

export const hashSecret = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** A stored hash compared against a presented secret in constant time. */
export function secretMatches(storedHash: Uint8Array, secret: string): boolean {
  const presented = hashSecret(secret);
  return storedHash.length === presented.length && timingSafeEqual(storedHash, presented);
}

/** Compared against when the key id is unknown, so both failures cost the same work. */
export const DECOY_HASH = hashSecret(randomBytes(32).toString('base64url'));
