#!/usr/bin/env node
// The `tessera` command. The server is written in TypeScript that Node 24 runs directly; when this
// shim is started by an older system Node (e.g. `npx tessera` on a machine whose PATH node is 20),
// it re-executes itself with the Node 24 that the repo pins as a devDependency.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'src', 'cli.ts');
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  const { main } = await import(cli);
  await main();
} else {
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(pinned)) {
    console.error('tessera needs Node.js 24 or newer; run `npm install` in the repository first.');
    process.exit(1);
  }
  // The same V8 flags as `npm start` (package.json; why: the README's performance notes).
  const flags = ['--liftoff-only', '--max-semi-space-size=2'];
  const child = spawnSync(pinned, [...flags, cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
