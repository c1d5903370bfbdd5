#!/usr/bin/env node
// The `tessera` command. The server is written in TypeScript that Node 24 runs directly; when this
// shim is started by an older system Node (e.g. `npx tessera` on a machine whose PATH node is 20),
// it re-executes itself with the Node 24 that the repo pins as a devDependency.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const shim = fileURLToPath(import.meta.url);
const root = join(dirname(shim), '..');
const major = Number(process.versions.node.split('.')[0]);

/**
 * Where Node keeps the compiled form of Tessera's modules, TypeScript already stripped, so a start
 * never loads the type stripper (about 12 MB of WebAssembly held for the life of the process) nor
 * strips every file again. `npm install` fills it (scripts/warm-compile-cache.ts, which names the same
 * directory); an entry whose source changed is simply not used. NODE_COMPILE_CACHE, when set, wins
 * (Node reads it itself).
 */
const COMPILE_CACHE_DIR = join(root, 'node_modules', '.cache', 'tessera');

if (major >= 24) {
  if (!process.env.NODE_COMPILE_CACHE) module.enableCompileCache?.(COMPILE_CACHE_DIR);
  const { main } = await import(join(root, 'src', 'cli.ts'));
  await main();
} else {
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(pinned)) {
    console.error('tessera needs Node.js 24 or newer; run `npm install` in the repository first.');
    process.exit(1);
  }
  // Node cannot replace its own process (no exec), so the shim stays as the child's parent: it
  // forwards every stop signal, and the IPC channel lets the child notice if the shim itself is
  // killed outright (SIGKILL) and shut down instead of living on as an orphan.
  // The same V8 flags and malloc arenas as `npm start` (package.json; why: the README's
  // performance notes). glibc reads MALLOC_ARENA_MAX only as a process starts.
  const flags = ['--liftoff-only', '--max-semi-space-size=2'];
  const child = spawn(pinned, [...flags, shim, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' },
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('error', (err) => {
    console.error(`tessera: could not start Node.js 24: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    // Exit as the child did: its code, or 128 + the signal number that ended it.
    process.exit(code ?? 128 + (constants.signals[signal] ?? 15));
  });
}
