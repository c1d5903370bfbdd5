import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { startServerProcess } from './helpers/server-process.ts';

const baseEnv = { ...process.env, LOG_LEVEL: 'info', NODE_ENV: 'test' };
const waitFor = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the tessera process', () => {
  it('SIGTERM lets an in-flight request finish and its write persist, and refuses new connections', async () => {
    const server = await startServerProcess();
    try {
      const { port } = new URL(server.url);
      const body = JSON.stringify({
        query:
          'mutation($input: CreateUsersInput!) { createUsers(input: $input) { status { code } results { outcome } } }',
        variables: { input: { emails: ['inflight@example.com'] } },
      });
      let status = 0;
      let text = '';
      let ended = false;
      const req = request({
        host: '127.0.0.1',
        port: Number(port),
        path: '/graphql',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${server.firstKey}`,
        },
      });
      req.on('response', (res) => {
        status = res.statusCode ?? 0;
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => {
          ended = true;
        });
      });
      const half = Math.floor(body.length / 2);
      // The request is in flight: headers and half of the body are sent, the rest is held back.
      req.write(body.slice(0, half));
      await new Promise((r) => setTimeout(r, 300));
      server.child.kill('SIGTERM');
      await waitFor(() => /Shutting down/.test(server.stderr()), 'the shutdown notice');
      assert.equal(server.child.exitCode, null, 'the process waits for the request');
      const refused = await fetch(`${server.url}/healthz`).then(
        () => false,
        () => true,
      );
      assert.ok(refused, 'new connections are refused while draining');

      req.end(body.slice(half));
      await waitFor(() => ended, 'the response');
      assert.equal(status, 200);
      assert.equal(JSON.parse(text).data.createUsers.status.code, 'OK');
      const exitCode = await new Promise<number | null>((resolve) =>
        server.child.exitCode !== null ? resolve(server.child.exitCode) : server.child.once('exit', resolve),
      );
      assert.equal(exitCode, 0);

      const app = await createApp(
        loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', TESSERA_DATA_DIR: server.dataDir }),
      );
      try {
        const ws = await app.services.workspaces.ensureDefault();
        assert.ok(await app.services.users.findByEmail(ws.id, 'inflight@example.com'), 'the write persisted');
      } finally {
        await app.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('answers GET /healthz with 200 once it accepts requests; a second process on its PGlite directory fails fast', async () => {
    const server = await startServerProcess();
    try {
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });

      const started = Date.now();
      const second = spawnSync(process.execPath, ['src/cli.ts', 'init', '--json'], {
        env: { ...baseEnv, TESSERA_DATA_DIR: server.dataDir },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(second.status, 2);
      assert.equal(second.stdout, '', 'nothing on stdout');
      assert.ok(second.stderr.includes(server.dataDir), 'the message names the directory in use');
      assert.ok(Date.now() - started < 30_000, 'it fails instead of waiting');
      // The server is unharmed.
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.stop();
    }
  });

  it('`tessera init --json` prints one JSON object and nothing else on stdout, even with logs on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-init-'));
    try {
      const run = () =>
        spawnSync(process.execPath, ['src/cli.ts', 'init', '--json'], {
          env: { ...baseEnv, LOG_LEVEL: 'debug', TESSERA_DATA_DIR: dir },
          encoding: 'utf8',
          timeout: 60_000,
        });
      const first = run();
      assert.equal(first.status, 0, first.stderr);
      const lines = first.stdout.split('\n').filter(Boolean);
      assert.equal(lines.length, 1);
      const parsed = JSON.parse(lines[0]!);
      assert.deepEqual(Object.keys(parsed).sort(), ['accessKey', 'workspaceId']);
      assert.match(parsed.accessKey, /^tsk_/);
      const second = JSON.parse(run().stdout);
      assert.equal(second.workspaceId, parsed.workspaceId, 'one default workspace');
      assert.notEqual(second.accessKey, parsed.accessKey, 'a new key each time');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`npm start`-style serve with SMTP unset keeps welcome emails queued (spawned, PGlite)', async () => {
    // Guard for the serve path: a server without SMTP starts no sender and loses nothing on stop.
    const server = await startServerProcess();
    try {
      const r = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.firstKey}` },
        body: JSON.stringify({
          query:
            'mutation { createUsers(input: { emails: ["w@example.com"], sendWelcomeEmail: true }) { status { code } } }',
        }),
      });
      assert.equal((await r.json()).data.createUsers.status.code, 'OK');
      const listed = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.firstKey}` },
        body: JSON.stringify({ query: '{ outboxMessages { edges { node { recipient state } } } }' }),
      });
      assert.deepEqual((await listed.json()).data.outboxMessages.edges, [
        { node: { recipient: 'w@example.com', state: 'QUEUED' } },
      ]);
    } finally {
      await server.stop();
    }
  });
});
