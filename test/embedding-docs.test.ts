// The README's embedding walk-through promises that `npm run example` works and that its backend
// route is the one in examples/host/server.ts. These tests keep both true.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { freePort } from './helpers/server-process.ts';
import { ensureWebBuilt } from './helpers/web-build.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const walkthroughStart = readme.indexOf("## Walk-through: embed a user's session");
const docs = readme.slice(walkthroughStart, readme.indexOf('\n## ', walkthroughStart + 1));
const example = readFileSync(new URL('../examples/host/server.ts', import.meta.url), 'utf8');

describe('the README embedding walk-through', () => {
  it('shows the example host’s backend route and query verbatim', () => {
    const blocks = [...docs.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(blocks.length >= 2);
    // Indentation aside, the docs' code is the example's code.
    const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
    for (const block of blocks.slice(0, 2)) assert.ok(squash(example).includes(squash(block)), block);
  });
});

describe('npm run example (examples/host/demo.ts)', () => {
  let child: ChildProcess;
  let output = '';
  let tesseraUrl: string;
  let hostUrl: string;

  before(async () => {
    await ensureWebBuilt();
    const [tesseraPort, hostPort] = [await freePort(), await freePort()];
    tesseraUrl = `http://127.0.0.1:${tesseraPort}`;
    hostUrl = `http://127.0.0.1:${hostPort}`;
    child = spawn(process.execPath, ['examples/host/demo.ts'], {
      env: {
        ...process.env,
        TESSERA_PORT: String(tesseraPort),
        EXAMPLE_PORT: String(hostPort),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const deadline = Date.now() + 60_000;
    while (!/Press Ctrl\+C/.test(output)) {
      if (child.exitCode !== null) throw new Error(`the demo exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`the demo did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('serves a host whose backend route returns a session token that may frame Tessera from the host only', async () => {
    const login = await fetch(`${hostUrl}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=alice%40acme.example',
      redirect: 'manual',
    });
    assert.equal(login.status, 303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await fetch(`${hostUrl}/`, { headers: { cookie } })).text();
    assert.ok(page.includes(`import { mountDashboard } from "${tesseraUrl}/sdk/embed.js"`));

    assert.equal((await fetch(`${hostUrl}/api/tessera-token`, { method: 'POST' })).status, 401);
    const r = await fetch(`${hostUrl}/api/tessera-token`, { method: 'POST', headers: { cookie } });
    assert.equal(r.status, 200);
    const { token } = (await r.json()) as { token: string };
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    assert.equal(payload.email, 'alice@acme.example');
    assert.equal(payload.exp - payload.iat, 60);

    const embed = await fetch(`${tesseraUrl}/embed/dashboards/sales-overview?token=${token}`);
    assert.match(
      embed.headers.get('content-security-policy') ?? '',
      new RegExp(`frame-ancestors ${hostUrl}$`),
    );
  });
});
