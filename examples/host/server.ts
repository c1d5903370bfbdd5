// An example host application that embeds Tessera (docs/embedding.md). Its backend trades
// Tessera's access key for a short-lived session token for the signed-in user; its page mounts
// the embed iframe with the SDK Tessera serves, which renews the token before it expires.
//
//   TESSERA_URL=http://127.0.0.1:4000 TESSERA_KEY=tsk_… npm run example:host
//
// The "sign-in" here is a demo stand-in (a cookie holding an email): use your own sessions.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface ExampleHostOptions {
  /** Tessera as the host's backend reaches it. */
  readonly tesseraUrl: string;
  /** Tessera as the browser reaches it (defaults to `tesseraUrl`). */
  readonly tesseraPublicUrl?: string;
  /** An access key with the `impersonate` permission. Server-side only: never sent to the browser. */
  readonly accessKey: string;
  readonly host?: string;
  readonly port?: number;
  readonly dashboardId?: string;
}

export interface ExampleHost {
  readonly url: string;
  readonly server: Server;
  stop(): Promise<void>;
}

const IMPERSONATE = `mutation Impersonate($accessToken: String!, $userEmail: String!) {
  impersonateUser(accessToken: $accessToken, userEmail: $userEmail)
}`;
type ImpersonateResult = { data?: { impersonateUser?: string } | null };

export async function startExampleHost(options: ExampleHostOptions): Promise<ExampleHost> {
  const tesseraUrl = options.tesseraUrl.replace(/\/+$/, '');
  const publicUrl = (options.tesseraPublicUrl ?? tesseraUrl).replace(/\/+$/, '');
  const dashboardId = options.dashboardId ?? 'sales-overview';
  const accessToken = options.accessKey; // the Tessera access key (impersonate permission)

  /** The backend route: a session token for the signed-in user, from Tessera's impersonateUser. */
  async function tesseraToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const email = signedInEmail(req); // your own session lookup
    if (!email) return sendJson(res, 401, { error: 'sign in first' });
    const r = await fetch(`${tesseraUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: IMPERSONATE, variables: { accessToken, userEmail: email } }),
    });
    const token = ((await r.json()) as ImpersonateResult).data?.impersonateUser;
    if (!token) return sendJson(res, 502, { error: 'Tessera refused' });
    sendJson(res, 200, { token });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    const route = `${req.method} ${url.pathname}`;
    const handle = async () => {
      if (route === 'POST /api/tessera-token') return tesseraToken(req, res);
      if (route === 'POST /login') {
        const email = new URLSearchParams(await readBody(req)).get('email')?.trim() ?? '';
        if (!/^[^\s@]+@[^\s@]+$/.test(email)) return send(res, 400, 'text/plain', 'enter an email');
        res.setHeader('set-cookie', `demo_user=${encodeURIComponent(email)}; Path=/; HttpOnly; SameSite=Lax`);
        return redirect(res, '/');
      }
      if (route === 'POST /logout') {
        res.setHeader('set-cookie', 'demo_user=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
        return redirect(res, '/');
      }
      if (route === 'GET /') {
        const email = signedInEmail(req);
        // `?filter.region=DE` on the host's own URL becomes the dashboard's initial filters, and
        // `?dashboard=<id>` embeds another dashboard (the SDK checks the id's shape).
        const filters: Record<string, string[]> = {};
        for (const [key, value] of url.searchParams) {
          if (!key.startsWith('filter.')) continue;
          const id = key.slice('filter.'.length);
          filters[id] = [...(filters[id] ?? []), value];
        }
        return send(
          res,
          200,
          'text/html; charset=utf-8',
          email
            ? dashboardPage(email, publicUrl, url.searchParams.get('dashboard') ?? dashboardId, filters)
            : loginPage(),
        );
      }
      send(res, 404, 'text/plain', 'not found');
    };
    handle().catch(() => send(res, 500, 'text/plain', 'error'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function signedInEmail(req: IncomingMessage): string | null {
  const match = /(?:^|;\s*)demo_user=([^;]+)/.exec(req.headers.cookie ?? '');
  return match ? decodeURIComponent(match[1]!) : null;
}

function loginPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example host: sign in</title></head>
<body>
<h1>Example host</h1>
<form method="post" action="/login">
  <label>Sign in as <input name="email" type="email" value="alice@acme.example" required></label>
  <button type="submit">Sign in</button>
</form>
</body></html>`;
}

function dashboardPage(
  email: string,
  tesseraUrl: string,
  dashboardId: string,
  filters: Record<string, string[]>,
): string {
  // One value per filter is a plain string; several make a list (a multi select).
  const initial = Object.fromEntries(Object.entries(filters).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example host</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5rem; }
  #dashboard { height: 1120px; border: 1px solid #ccc; border-radius: 8px; overflow: hidden; }
  #events { font-family: ui-monospace, monospace; font-size: 13px; }
</style></head>
<body>
<h1>Example host</h1>
<form method="post" action="/logout">Signed in as <strong>${escapeHtml(email)}</strong>. <button>Sign out</button></form>
<div id="dashboard"></div>
<h2>Events</h2>
<ol id="events"></ol>
<script type="module">
  import { mountDashboard } from ${JSON.stringify(`${tesseraUrl}/sdk/embed.js`)};

  const log = (text) => {
    const li = document.createElement('li');
    li.textContent = new Date().toLocaleTimeString() + ' ' + text;
    document.getElementById('events').append(li);
  };

  const dashboard = await mountDashboard({
    element: document.getElementById('dashboard'),
    baseUrl: ${JSON.stringify(tesseraUrl)},
    dashboardId: ${JSON.stringify(dashboardId)},
    // Called for the first token and again whenever the embedded page asks for a fresh one.
    getToken: async () => {
      const response = await fetch('/api/tessera-token', { method: 'POST' });
      if (!response.ok) throw new Error('token request failed: HTTP ' + response.status);
      return (await response.json()).token;
    },
    // Filter values the page starts with (the user can change them; setFilters() too).
    filters: ${JSON.stringify(initial).replace(/</g, '\\u003c')},
    // The host's look: any of the page's CSS variables (docs/embedding.md "Theming").
    theme: { '--tessera-accent': '#0f766e', '--tessera-chart-1': '#0f766e', '--tessera-radius': '10px' },
    onEvent: (event) => log(event.type + (event.code ? ' ' + event.code : '')),
  });
  window.tesseraEmbed = dashboard; // handy in the browser console
</script>
</body></html>`;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json', JSON.stringify(value));
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location });
  res.end();
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) break;
  }
  return body;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const tesseraUrl = process.env.TESSERA_URL;
  const accessKey = process.env.TESSERA_KEY;
  if (!tesseraUrl || !accessKey) {
    console.error(
      'Set TESSERA_URL (e.g. http://127.0.0.1:4000) and TESSERA_KEY (an access key with the impersonate permission).',
    );
    process.exit(1);
  }
  const host = await startExampleHost({
    tesseraUrl,
    accessKey,
    port: Number(process.env.PORT ?? 3000),
    host: process.env.HOST ?? '127.0.0.1',
  });
  console.error(`Example host on ${host.url} (embedding ${tesseraUrl}). Allow its origin in the workspace:
  allowedEmbedOrigins: ["${host.url}"]  (mutation updateWorkspaceEmbedSettings)`);
}
