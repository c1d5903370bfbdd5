import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..');

// One folder and one line per module: a module.ts that is not in the list would never be built.
test('every module folder is listed once in src/modules/index.ts, from its own module.ts', () => {
  const list = readFileSync(join(root, 'src/modules/index.ts'), 'utf8');
  const listed = [...list.matchAll(/from '\.\/([a-z0-9-]+)\/module\.ts'/g)].map((m) => m[1]!);
  const folders = globSync('src/modules/*/module.ts', { cwd: root }).map((f) => f.split('/')[2]!);
  assert.equal(new Set(listed).size, listed.length, 'a module is imported twice');
  assert.deepEqual([...listed].sort(), [...folders].sort());
});
