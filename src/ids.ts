import { randomBytes, randomFillSync } from 'node:crypto';

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
  return base32(randomSlice(bytes), 0, bytes);
}

/** Crockford base32 of `buf[start..end)`, most significant bit first. */
function base32(buf: Uint8Array, start: number, end: number): string {
  let bits = 0;
  let acc = 0;
  let out = '';
  for (let i = start; i < end; i++) {
    acc = (acc << 8) | buf[i]!;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

export type IdPrefix =
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
  | 'wss';

/** Random bytes in an id: 128 bits. */
const ID_BYTES = 16;

/** Globally unique, prefixed ids (`usr_…`, `ws_…`): 128 random bits, no ordering leak. */
export const newId = (prefix: IdPrefix) => `${prefix}_${randomToken(ID_BYTES)}`;

/**
 * `count` ids as `newId` makes them, from one draw of random bytes: a bulk write of thousands of
 * users asks the system's random source once instead of once an id.
 */
export function newIds(prefix: IdPrefix, count: number): string[] {
  const buf = randomBytes(ID_BYTES * count);
  const ids = new Array<string>(count);
  for (let i = 0; i < count; i++) ids[i] = `${prefix}_${base32(buf, i * ID_BYTES, (i + 1) * ID_BYTES)}`;
  return ids;
}
