// Fills the compile cache that `bin/tessera.js` starts with (run by `npm install`, after the web
// build): every module under src/ is loaded once, so a start finds each one already stripped of its
// types and compiled, and never loads Node's TypeScript stripper. Why: the README's performance
// notes. The modules are loaded with the V8 flags `npm start` passes, because V8 refuses code
// cached under other flags. A failure here only costs memory at start, so it warns and exits 0.
import { spawnSync } from 'node:child_process';
import { globSync, readFileSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const WARMING = 'TESSERA_WARMING_COMPILE_CACHE';

if (process.env[WARMING]) {
  module.enableCompileCache(process.env[WARMING]);
  const files = globSync('src/**/*.ts', { cwd: root }).filter((f) => !f.endsWith('.test.ts'));
  for (const file of files.sort()) await import(pathToFileURL(join(root, file)).href);
  module.flushCompileCache();
} else {
  const startScript: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start;
  const flags = startScript.split(/\s+/).filter((word) => word.startsWith('--'));
  // The directory bin/tessera.js starts with.
  const dir = process.env.NODE_COMPILE_CACHE || join(root, 'node_modules', '.cache', 'tessera');
  const warmed = spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url)], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, [WARMING]: dir, NODE_ENV: 'production' },
  });
  if (warmed.status !== 0)
    console.warn('warning: the compile cache was not filled; tessera will start with a little more memory');
}
