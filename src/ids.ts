import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/** Random base32 string of `bytes` bytes of entropy (rounded up to 5-bit symbols). */
export function randomToken(bytes: number): string {
  const buf = randomBytes(bytes);
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of buf) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/** Globally unique, prefixed ids (`usr_…`, `ws_…`): 128 random bits, no ordering leak. */
export const newId = (
  prefix:
    | 'usr'
    | 'ws'
    | 'grp'
    | 'key'
    | 'evt'
    | 'msg'
    | 'sig'
    | 'con'
    | 'dom'
    | 'pol'
    | 'qry'
    | 'ses'
    | 'idp'
    | 'wss',
) => `${prefix}_${randomToken(16)}`;
