import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Frame, Page } from 'playwright-core';
import { type ExampleHost, startExampleHost } from '../../examples/host/server.ts';
import { type ServerProcess, startServerProcess } from './server-process.ts';
import { ensureWebBuilt } from './web-build.ts';

export const ALICE = 'alice@acme.example';
export const BOB = 'bob@globex.example';

/**
 * A real `tessera serve` process (PGlite, 30-second session tokens), the example host on
 * another port (another origin), and a third origin that the workspace does not allow.
 */
export interface EmbedStack {
  readonly tessera: ServerProcess;
  readonly host: ExampleHost;
  /** An origin outside the workspace's allowed embed origins. */
  readonly stranger: { readonly url: string };
  gql(query: string, variables?: Record<string, unknown>): Promise<Record<string, any>>;
  /** A fresh session token for `email`, straight from impersonateUser. */
  impersonate(email: string, attributes?: { key: string; value: string }[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startEmbedStack(): Promise<EmbedStack> {
  await ensureWebBuilt();
  const tessera = await startServerProcess({ TESSERA_SESSION_TTL_SECONDS: '30' });
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await fetch(`${tessera.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tessera.firstKey}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await r.json()) as { data?: Record<string, any>; errors?: unknown[] };
    if (r.status !== 200 || body.errors) throw new Error(`GraphQL failed: ${JSON.stringify(body)}`);
    return body.data!;
  };
  try {
    for (const [email, account] of [
      [ALICE, 'acme'],
      [BOB, 'globex'],
    ]) {
      await gql('mutation($input: CreateUsersInput!) { createUsers(input: $input) { status { code } } }', {
        input: { emails: [email], userAttributes: [{ key: 'account_id', value: account }] },
      });
    }
    // The host gets a key that can only impersonate, as the docs recommend.
    const key = await gql(
      'mutation { createAccessKey(input: { name: "example host", permissions: ["impersonate"] }) { token } }',
    );
    const host = await startExampleHost({
      tesseraUrl: tessera.url,
      accessKey: key.createAccessKey.token,
      port: 0,
    });
    await gql(
      'mutation($input: UpdateWorkspaceEmbedSettingsInput!) { updateWorkspaceEmbedSettings(input: $input) { status { code } } }',
      { input: { allowedEmbedOrigins: [host.url] } },
    );
    const stranger = await startStranger();
    return {
      tessera,
      host,
      stranger,
      gql,
      impersonate: async (email, attributes) =>
        (
          await gql(
            'mutation($k: String!, $e: String!, $a: [UserAttributeInput!]) { impersonateUser(accessToken: $k, userEmail: $e, attributes: $a) }',
            { k: tessera.firstKey, e: email, a: attributes ?? null },
          )
        ).impersonateUser,
      stop: async () => {
        await host.stop();
        await new Promise<void>((resolve) => {
          stranger.server.close(() => resolve());
          stranger.server.closeAllConnections();
        });
        await tessera.stop();
      },
    };
  } catch (err) {
    await tessera.stop();
    throw err;
  }
}

/** `/frame?src=URL` frames a URL and records the messages it gets; `/blank` is an empty page. */
async function startStranger(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stranger.invalid');
    const src = url.searchParams.get('src') ?? 'about:blank';
    const body =
      url.pathname === '/frame'
        ? `<!doctype html><title>stranger</title><script>window.__messages = []; addEventListener('message', (e) => window.__messages.push(e.data));</script><iframe id="embed" src="${src.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}"></iframe>`
        : '<!doctype html><title>blank</title>';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Signs in to the example host and waits until the embedded page shows the session. */
export async function openHostAs(page: Page, stack: EmbedStack, email: string): Promise<Frame> {
  await page.goto(stack.host.url);
  await page.fill('input[name=email]', email);
  await Promise.all([page.waitForURL(`${stack.host.url}/`), page.click('button[type=submit]')]);
  await page.waitForFunction(() => (window as any).tesseraEmbed !== undefined);
  // Everything the SDK reports, for assertions.
  await page.evaluate(() => {
    const w = window as any;
    w.__events = [];
    for (const type of ['ready', 'expired', 'error', 'renewed'])
      w.tesseraEmbed.on(type, (e: unknown) => w.__events.push(e));
  });
  const frame = await embedFrame(page, stack);
  await frame.waitForSelector('#tessera-app[data-state="active"] [data-role="email"]');
  return frame;
}

export async function embedFrame(page: Page, stack: EmbedStack): Promise<Frame> {
  const handle = await page.waitForSelector(`iframe[src^="${stack.tessera.url}/embed/dashboards/"]`);
  const frame = await handle.contentFrame();
  if (!frame) throw new Error('embed iframe has no frame');
  return frame;
}

/** What the embedded page shows about its token. */
export async function shownSession(
  frame: Frame,
): Promise<{ state: string; email: string; expiresAt: string }> {
  return frame.evaluate(() => ({
    state: document.getElementById('tessera-app')?.dataset.state ?? '',
    email: document.querySelector('[data-role="email"]')?.textContent ?? '',
    expiresAt: document.querySelector('[data-role="expires-at"]')?.textContent ?? '',
  }));
}

export async function hostEvents(page: Page): Promise<{ type: string; code?: string }[]> {
  return page.evaluate(() => (window as any).__events);
}
