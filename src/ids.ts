import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * Bytes from the CSPRNG drawn 4 KiB at a time: a call into it costs about as much for 16 bytes
 * as for 4,096, and every request makes ids (a query's and its audit record's). Each byte is
 * handed out once; the buffer is refilled when it runs out (as Node's randomUUID does).
 */
const POOL_BYTES = 4096;
let pool: Buffer | undefined;
let poolOffset = POOL_BYTES;

function randomSlice(bytes: number): Uint8Array {
  if (bytes > POOL_BYTES) return randomFillSync(Buffer.alloc(bytes));
  if (pool === undefined || poolOffset + bytes > POOL_BYTES) {
    pool = randomFillSync(pool ?? Buffer.alloc(POOL_BYTES));
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return slice;
}

/** Random base32 string of `bytes` bytes of entropy (rounded up to 5-bit symbols). */
export function randomToken(bytes: number): string {
  const buf = randomSlice(bytes);
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
