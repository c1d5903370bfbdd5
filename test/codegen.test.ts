import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import config from '../codegen.ts';

/**
 * The resolver types are generated from every `schema.graphql` (`npm run codegen`) and committed, so
 * tsc checks each resolver against the schema. A schema change without regenerating fails here.
 */
test('src/graphql/generated/resolvers.ts is what `npm run codegen` generates from the schema today', async () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const outputs = await generate({ ...config, cwd: root, silent: true }, false);
  assert.ok(outputs.length > 0, 'codegen generated something');
  for (const output of outputs) {
    const committed = readFileSync(resolve(root, output.filename), 'utf8');
    assert.ok(committed === output.content, `${output.filename} is out of date: run \`npm run codegen\``);
  }
});
