// Bundles the browser code under web/ (the embed app and the host SDK) into web/dist/, which is
// generated and never committed. Runs from `npm install` (prepare), `npm start` (prestart) and,
// when the output is missing or older than its sources, from the tests that need it.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const webDir = join(root, 'web');
export const webDistDir = join(webDir, 'dist');

/** Every file the build writes, relative to web/dist. */
export const WEB_OUTPUTS = ['embed/embed.js', 'embed/embed.css', 'sdk/embed.js', 'sdk/embed.d.ts'] as const;

/** Builds web/dist from web/embed and web/sdk. Each output is written to a temporary name and renamed, so a concurrent reader never sees half a file. */
export async function buildWeb(): Promise<void> {
  const esbuild = await import('esbuild');
  const common: import('esbuild').BuildOptions & { write: false } = {
    bundle: true,
    write: false,
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    target: ['chrome111', 'firefox115', 'safari16.4'],
    logLevel: 'warning',
  };
  const app = await esbuild.build({
    ...common,
    entryPoints: [join(webDir, 'embed/main.ts')],
    format: 'esm',
    outfile: join(webDistDir, 'embed/embed.js'),
  });
  const css = await esbuild.build({
    ...common,
    entryPoints: [join(webDir, 'embed/embed.css')],
    outfile: join(webDistDir, 'embed/embed.css'),
  });
  // The SDK stays readable (not minified): host developers read the script they load.
  const sdk = await esbuild.build({
    ...common,
    minify: false,
    entryPoints: [join(webDir, 'sdk/embed.ts')],
    format: 'esm',
    outfile: join(webDistDir, 'sdk/embed.js'),
  });
  for (const file of [...app.outputFiles, ...css.outputFiles, ...sdk.outputFiles]) {
    writeAtomically(file.path, file.contents);
  }
  writeAtomically(join(webDistDir, 'sdk/embed.d.ts'), await sdkDeclarations());
}

async function sdkDeclarations(): Promise<string> {
  const ts = (await import('typescript')).default;
  const source = readFileSync(join(webDir, 'sdk/embed.ts'), 'utf8');
  const out = ts.transpileDeclaration(source, {
    fileName: 'embed.ts',
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    reportDiagnostics: true,
  });
  if (out.diagnostics?.length) {
    const messages = out.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    throw new Error(`web/sdk/embed.ts: cannot emit declarations:\n${messages.join('\n')}`);
  }
  return out.outputText;
}

function writeAtomically(path: string, contents: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

/** True when every output exists and is newer than every source file under web/embed, web/sdk and src/shared. */
export function webBuildIsFresh(): boolean {
  let newestSource = 0;
  // The page and the SDK bundle the shared server/browser contract too.
  for (const dir of [join(webDir, 'embed'), join(webDir, 'sdk'), join(root, 'src/shared')]) {
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile())
        newestSource = Math.max(newestSource, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  newestSource = Math.max(newestSource, statSync(fileURLToPath(import.meta.url)).mtimeMs);
  return WEB_OUTPUTS.every((out) => {
    try {
      return statSync(join(webDistDir, out)).mtimeMs >= newestSource;
    } catch {
      return false;
    }
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWeb();
  console.error(`Built ${WEB_OUTPUTS.map((o) => relative(root, join(webDistDir, o))).join(', ')}`);
}
