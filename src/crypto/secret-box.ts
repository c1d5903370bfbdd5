import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { ConfigError } from '../config.ts';

/**
 * Encrypts secrets at rest (signing keys' private halves, connection passwords) with the
 * server's master key: AES-256-GCM, a fresh 96-bit nonce per value, and the value's `context`
 * (e.g. `connection:<id>:password`) as additional data, so a ciphertext copied into another row
 * does not decrypt there.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  /** Throws when the value was not sealed by this master key for this context. */
  open(sealed: string, context: string): string;
}

const VERSION = 'v1';

export function createSecretBox(masterKey: Buffer): SecretBox {
  if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    open(sealed, context) {
      const [version, ivText, bodyText] = sealed.split('.');
      if (version !== VERSION || !ivText || !bodyText) throw new Error('not a sealed secret');
      const body = Buffer.from(bodyText, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(ivText, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}

/**
 * The master key: `TESSERA_MASTER_KEY` (32 bytes, base64 or hex) when set; for an in-memory
 * database a per-process key (its data dies with the process anyway); otherwise a key generated
 * once into the data directory with 0600 permissions, so several processes on one machine agree.
 * Production on PostgreSQL must set `TESSERA_MASTER_KEY`: instances on other machines need it.
 */
export function resolveMasterKey(config: Config): Buffer {
  if (config.masterKey !== undefined) return parseMasterKey(config.masterKey);
  if (config.database.kind === 'pglite' && config.database.dataDir === null) return randomBytes(32);
  if (config.database.kind === 'postgres' && config.env === 'production') {
    throw new ConfigError(
      'TESSERA_MASTER_KEY is required in production with DATABASE_URL (32 random bytes, base64 or hex): ' +
        'every instance must decrypt what another one encrypted.',
    );
  }
  if (config.dataDir === null) return randomBytes(32);
  return readOrCreateKeyFile(join(config.dataDir, 'master.key'));
}

function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new ConfigError(
      'Invalid configuration: TESSERA_MASTER_KEY must be 32 bytes, as 64 hex digits or base64',
    );
  }
  return key;
}

function readOrCreateKeyFile(path: string): Buffer {
  mkdirSync(join(path, '..'), { recursive: true });
  try {
    // 'wx' creates the file only if it is absent: two processes starting together agree on one key.
    const fd = openSync(path, 'wx', 0o600);
    const key = randomBytes(32);
    writeSync(fd, key.toString('base64'));
    closeSync(fd);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const text = readFileSync(path, 'utf8');
    if (text.length > 0) return parseMasterKey(text);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // the creator is mid-write
  }
  throw new ConfigError(`The master key file ${path} is empty`);
}
