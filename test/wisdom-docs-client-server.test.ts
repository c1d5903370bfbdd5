// The WisdomAI docs' requests sent byte for byte to a real `tessera serve` process, over TCP, on
// PGlite and on PostgreSQL: header names in any case, the docs' curl flow, and the 401 shape.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createScratchPostgresDatabase } from './helpers/databases.ts';
import { type ServerProcess, startServerProcess } from './helpers/server-process.ts';

/** One raw HTTP/1.1 request; the answer's status, lower-cased headers and body. */
async function raw(base: string, head: string, body: string) {
  const { hostname, port } = new URL(base);
  const request = `${head}\r\nHost: ${hostname}:${port}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    socket.on('data', (d) => {
      data += d.toString();
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.write(request);
  });
  const [headText, ...rest] = text.split('\r\n\r\n');
  const lines = headText!.split('\r\n');
  const headers = new Map(
    lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  let payload = rest.join('\r\n\r\n');
  if (headers.get('transfer-encoding') === 'chunked') {
    let out = '';
    let i = 0;
    while (i < payload.length) {
      const nl = payload.indexOf('\r\n', i);
      const size = Number.parseInt(payload.slice(i, nl), 16);
      if (!size) break;
      out += payload.slice(nl + 2, nl + 2 + size);
      i = nl + 2 + size + 2;
    }
    payload = out;
  }
  return { status: Number(lines[0]!.split(' ')[1]), headers, body: payload };
}

const backends: {
  name: string;
  env: () => Promise<{ env: Record<string, string>; drop: () => Promise<void> }>;
}[] = [{ name: 'pglite', env: async () => ({ env: {}, drop: async () => {} }) }];
if (process.env.TEST_DATABASE_URL) {
  const admin = process.env.TEST_DATABASE_URL;
  backends.push({
    name: 'postgres',
    env: async () => {
      const scratch = await createScratchPostgresDatabase(admin);
      return { env: { DATABASE_URL: scratch.url }, drop: scratch.drop };
    },
  });
}

for (const backend of backends) {
  describe(`the docs' requests to a real tessera serve (${backend.name})`, () => {
    let server: ServerProcess;
    let drop: () => Promise<void>;
    before(async () => {
      const { env, drop: d } = await backend.env();
      drop = d;
      server = await startServerProcess(env);
      assert.ok(server.firstKey, 'the first start prints an access key');
    });
    after(async () => {
      await server?.stop();
      await drop?.();
    });

    const docsCreate = (email: string) =>
      JSON.stringify({
        query:
          'mutation CreateUsers($input: CreateUsersInput!) { createUsers(input: $input) { status { code message } } }',
        variables: {
          input: {
            emails: [email],
            roleAssignments: [{ roleId: '00000000-0000-0000-0000-000000000003', scopes: ['default'] }],
            sendWelcomeEmail: false,
          },
        },
      });

    test('the Authorization header is found whatever the case of its name', async () => {
      for (const name of ['Authorization', 'authorization', 'AUTHORIZATION', 'aUtHoRiZaTiOn']) {
        const r = await raw(
          server.url,
          `POST /graphql HTTP/1.1\r\nContent-Type: application/json\r\n${name}: Bearer ${server.firstKey}`,
          docsCreate(`${name.toLowerCase()}-${name.length}-${name.charCodeAt(1)}@docs.example`),
        );
        assert.equal(r.status, 200, name);
        assert.equal(JSON.parse(r.body).data.createUsers.status.code, 'OK', name);
      }
    });

    test('no or a bad credential over TCP: 401, WWW-Authenticate: Bearer, the one body', async () => {
      for (const auth of [
        '',
        `Authorization: Bearer ${server.firstKey.slice(0, -1)}x\r\n`,
        'Authorization: Bearer\r\n',
      ]) {
        const r = await raw(
          server.url,
          `POST /graphql HTTP/1.1\r\n${auth}Content-Type: application/json`,
          docsCreate('nobody@docs.example'),
        );
        assert.equal(r.status, 401, auth);
        assert.equal(r.headers.get('www-authenticate'), 'Bearer');
        assert.deepEqual(JSON.parse(r.body), {
          errors: [{ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }],
          data: null,
        });
      }
    });

    test('the docs’ flow over fetch: createUsers, listUsers, impersonateUser, the session as Bearer', async () => {
      const call = async (query: string, variables: Record<string, unknown>, token?: string) => {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ query, variables }),
        });
        return { status: response.status, body: (await response.json()) as any };
      };
      const email = 'Alice+Tenant123@YourCompany.com';
      const created = await call(
        'mutation CreateUsers($input: CreateUsersInput!) { createUsers(input: $input) { status { code message } } }',
        { input: { emails: [email] } },
        server.firstKey,
      );
      assert.equal(created.body.data.createUsers.status.code, 'OK');
      const listed = await call('query ListUsers { listUsers { id email } }', {}, server.firstKey);
      assert.ok(listed.body.data.listUsers.some((u: any) => u.email === email));
      const imp = await call(
        'mutation ImpersonateUser($accessToken: String!, $userEmail: String!) { impersonateUser(accessToken: $accessToken, userEmail: $userEmail) }',
        { accessToken: server.firstKey, userEmail: email.toLowerCase() },
      );
      assert.equal(imp.status, 200);
      const me = await call('{ currentUser { email } }', {}, imp.body.data.impersonateUser);
      assert.equal(me.body.data.currentUser.email, email);
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
    });
  });
}
