import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { testConfig } from '../../test/helpers/app.ts';
import { type Config, ConfigError } from '../config.ts';
import { createSecretBox, resolveMasterKey } from './secret-box.ts';

test('a sealed secret opens only with the same key and the same context', () => {
  const key = randomBytes(32);
  const box = createSecretBox(key);
  const sealed = box.seal('hunter2', 'connection:c1:password');
  assert.ok(!sealed.includes('hunter2'));
  assert.equal(box.open(sealed, 'connection:c1:password'), 'hunter2');
  assert.throws(() => box.open(sealed, 'connection:c2:password'));
  assert.throws(() => createSecretBox(randomBytes(32)).open(sealed, 'connection:c1:password'));
  const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}A`;
  assert.throws(() => box.open(tampered, 'connection:c1:password'));
  assert.notEqual(box.seal('hunter2', 'x'), box.seal('hunter2', 'x'), 'a fresh nonce every time');
});

test('the generated master key is written once, 0600, and read back by the next process', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'tessera-key-')), 'data');
  const config = {
    ...testConfig({ TESSERA_DATA_DIR: dir }),
    database: { kind: 'pglite', dataDir: dir },
  } as Config;
  const first = resolveMasterKey(config);
  assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
  assert.deepEqual(resolveMasterKey(config), first);
});

test('TESSERA_MASTER_KEY must be 32 bytes; hex and base64 both work', () => {
  const hex = randomBytes(32).toString('hex');
  assert.equal(resolveMasterKey(testConfig({ TESSERA_MASTER_KEY: hex })).toString('hex'), hex);
  const b64 = randomBytes(32).toString('base64');
  assert.equal(resolveMasterKey(testConfig({ TESSERA_MASTER_KEY: b64 })).toString('base64'), b64);
  assert.throws(() => resolveMasterKey(testConfig({ TESSERA_MASTER_KEY: 'short' })), ConfigError);
});
