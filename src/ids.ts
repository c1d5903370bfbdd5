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

/**
 * An id is 128 bits: the time it was made (48 bits, milliseconds since 1970) and then 80 random
 * bits, like a ULID. Ids lead with their time so that a table's primary key grows at its end.
 * With fully random ids every insert landed on a random page of each index, and a bulk import of
 * a million users rewrote (and logged) most pages again and again: COPY of those rows ran at
 * 12,606 rows/s with random ids and 21,797 with these (bench/users-import.bench.ts). An id is a
 * name, never a credential (secrets are `newSecret`'s, 256 random bits), and a row's creation
 * time is already in the row; 80 random bits keep ids made in the same millisecond, on any number
 * of instances, apart.
 */
const TIME_BYTES = 6;
const RANDOM_BYTES = 10;
const ID_BYTES = TIME_BYTES + RANDOM_BYTES;

/** Writes `ms` as 48 bits, most significant first, into `buf[offset..offset+6)`. */
function writeTime(buf: Uint8Array, offset: number, ms: number): void {
  const high = Math.floor(ms / 2 ** 32);
  const low = ms >>> 0;
  buf[offset] = (high >>> 8) & 0xff;
  buf[offset + 1] = high & 0xff;
  buf[offset + 2] = low >>> 24;
  buf[offset + 3] = (low >>> 16) & 0xff;
  buf[offset + 4] = (low >>> 8) & 0xff;
  buf[offset + 5] = low & 0xff;
}

/** Globally unique, prefixed ids (`usr_…`, `ws_…`) that sort by the millisecond they were made. */
export function newId(prefix: IdPrefix): string {
  const buf = new Uint8Array(ID_BYTES);
  writeTime(buf, 0, Date.now());
  buf.set(randomSlice(RANDOM_BYTES), TIME_BYTES);
  return `${prefix}_${base32(buf, 0, ID_BYTES)}`;
}

/**
 * `count` ids as `newId` makes them, from one draw of random bytes: a bulk write of thousands of
 * users asks the system's random source once instead of once an id. They share one millisecond.
 */
export function newIds(prefix: IdPrefix, count: number): string[] {
  const buf = Buffer.alloc(ID_BYTES * count);
  randomFillSync(buf);
  const now = Date.now();
  const ids = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    writeTime(buf, i * ID_BYTES, now);
    ids[i] = `${prefix}_${base32(buf, i * ID_BYTES, (i + 1) * ID_BYTES)}`;
  }
  return ids;
}
