// The embed page and host SDK in a real headless Chromium (docs/embedding.md): a `tessera serve`
// process, the example host on another origin, and a third origin the workspace does not allow.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { chromiumUnavailable, launchChromium } from '../helpers/browser.ts';
import {
  ALICE,
  BOB,
  type EmbedStack,
  embedFrame,
  hostEvents,
  openHostAs,
  shownSession,
  startEmbedStack,
} from '../helpers/embed-stack.ts';

const skip = chromiumUnavailable() ?? false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('embedded sessions in Chromium', { skip }, () => {
  let stack: EmbedStack;
  let browser: Browser;
  let context: BrowserContext;

  before(async () => {
    [stack, browser] = await Promise.all([startEmbedStack(), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('mounts through the SDK, reports ready, shows the session, and keeps the token out of the address bar', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const frame = await openHostAs(page, stack, ALICE);
    await page.evaluate(() => (window as any).tesseraEmbed.ready);
    const shown = await shownSession(frame);
    assert.equal(shown.state, 'active');
    assert.equal(shown.email, ALICE);
    const attributes = await frame.$$eval('[data-role="attributes"] tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)),
    );
    assert.deepEqual(attributes, [['account_id', 'acme', 'DATABASE']]);
    const seconds = Number(await frame.getAttribute('[data-role="countdown"]', 'data-seconds'));
    assert.ok(seconds > 0 && seconds <= 30, `countdown shows ${seconds}`);

    const url = new URL(frame.url());
    assert.equal(url.searchParams.get('token'), null, 'token stays out of the address bar');
    assert.match(url.searchParams.get('ws') ?? '', /^ws_/);
    const stored = await frame.evaluate(() => localStorage.getItem('tessera.jwt'));
    assert.equal(stored?.split('.').length, 3);

    // A reload inside the frame has no token in its URL: it is framed for the same workspace
    // (?ws=) and picks the session up from localStorage.
    await frame.evaluate(() => location.reload());
    const reloaded = await embedFrame(page, stack);
    await reloaded.waitForSelector('#tessera-app[data-state="active"] [data-role="email"]');
    assert.equal((await shownSession(reloaded)).email, ALICE);

    // destroy() removes the iframe and stops listening.
    await page.evaluate(() => (window as any).tesseraEmbed.destroy());
    assert.equal(await page.$('#dashboard iframe'), null);
    await context.close();
  });

  it('falls back to localStorage when the page is opened without ?token', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const token = await stack.impersonate(BOB, [{ key: 'account_id', value: 'globex-eu' }]);
    await page.goto(`${stack.tessera.url}/embed/dashboards/board-1?token=${token}`);
    await page.waitForSelector('#tessera-app[data-state="active"] [data-role="email"]');
    // The token's transient attribute wins over the stored one, which the page shows as overridden.
    const row = await page.$$eval('[data-role="attributes"] tbody tr td', (tds) =>
      tds.map((td) => td.textContent),
    );
    assert.deepEqual(row, ['account_id', 'globex-eu', 'TRANSIENT', 'DATABASE: globex']);
    assert.equal(new URL(page.url()).searchParams.get('token'), null);
    assert.equal(await page.evaluate(() => localStorage.getItem('tessera.jwt')), token);

    await page.goto(`${stack.tessera.url}/embed/dashboards/board-1`);
    await page.waitForSelector('#tessera-app[data-state="active"] [data-role="email"]');
    assert.equal(await page.textContent('[data-role="email"]'), BOB);

    // With nothing stored there is no session: the page says so instead of calling the API.
    await page.evaluate(() => localStorage.clear());
    await page.goto(`${stack.tessera.url}/embed/dashboards/board-1`);
    await page.waitForSelector('#tessera-app[data-state="expired"]');
    assert.equal(await page.$('[data-role="email"]'), null);
    await context.close();
  });

  it('ignores JWT_TOKEN_RESPONSE from any window but its parent, and reports a token for another user', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const frame = await openHostAs(page, stack, ALICE);
    const before = await shownSession(frame);
    await sleep(1100); // A new token's exp (whole seconds) must be later than the current one's.

    // A frame of another origin, next to the embed in the host page, posts a valid token for
    // the same user: the embed must not take it.
    const fresh = await stack.impersonate(ALICE);
    await page.evaluate((src) => {
      const f = document.createElement('iframe');
      f.id = 'stranger';
      f.src = src;
      document.body.append(f);
      return new Promise((resolve) => f.addEventListener('load', resolve));
    }, `${stack.stranger.url}/blank`);
    const stranger = page.frames().find((f) => f.url().startsWith(stack.stranger.url))!;
    await stranger.evaluate((token) => {
      // The host page's first frame is the embed.
      window.parent.frames[0]!.postMessage({ type: 'JWT_TOKEN_RESPONSE', token }, '*');
    }, fresh);
    await sleep(1500);
    assert.equal(
      (await shownSession(frame)).expiresAt,
      before.expiresAt,
      'token from a stranger frame was taken',
    );

    // The SDK, too, only answers its own iframe: a stranger asking the host page for a token gets nothing.
    let tokenRequests = 0;
    page.on('request', (r) => {
      if (r.url() === `${stack.host.url}/api/tessera-token`) tokenRequests++;
    });
    await stranger.evaluate(() => window.parent.postMessage({ type: 'REQUEST_JWT_TOKEN' }, '*'));
    await sleep(1000);
    assert.equal(tokenRequests, 0, 'the SDK answered a frame that is not its iframe');

    // A token for another user from the real parent: refused, reported as TESSERA_ERROR.
    const bobs = await stack.impersonate(BOB);
    await page.evaluate((token) => {
      const iframe = document.querySelector<HTMLIFrameElement>('#dashboard iframe')!;
      iframe.contentWindow!.postMessage({ type: 'JWT_TOKEN_RESPONSE', token }, '*');
    }, bobs);
    await page.waitForFunction(() => (window as any).__events.some((e: any) => e.type === 'error'));
    assert.deepEqual(
      (await hostEvents(page)).filter((e) => e.type === 'error').map((e) => e.code),
      ['TOKEN_MISMATCH'],
    );
    const after = await shownSession(frame);
    assert.equal(after.email, ALICE);
    assert.equal(after.expiresAt, before.expiresAt);

    // Forged tokens from the parent: a flipped signature byte and alg "none" fail the check in the
    // browser (WebCrypto against the JWKS) before any API call.
    let apiCalls = 0;
    page.on('request', (r) => {
      if (r.url() === `${stack.tessera.url}/graphql`) apiCalls++;
    });
    const [h, p, sig] = fresh.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'session+jwt', kid: 'x' })).toString('base64url')}.${p}.`;
    for (const token of [flipped, none]) {
      await page.evaluate((t) => {
        document
          .querySelector<HTMLIFrameElement>('#dashboard iframe')!
          .contentWindow!.postMessage({ type: 'JWT_TOKEN_RESPONSE', token: t }, '*');
      }, token);
    }
    await page.waitForFunction(
      () => (window as any).__events.filter((e: any) => e.type === 'error').length === 3,
    );
    assert.deepEqual(
      (await hostEvents(page)).filter((e) => e.type === 'error').map((e) => e.code),
      ['TOKEN_MISMATCH', 'INVALID_TOKEN', 'INVALID_TOKEN'],
    );
    assert.equal(apiCalls, 0, 'a forged token reached the API');
    assert.equal((await shownSession(frame)).expiresAt, before.expiresAt);

    // The control: the same fresh token from the parent is accepted, without a reload.
    await frame.evaluate(() => {
      (window as any).__marker = 'still here';
    });
    await page.evaluate((token) => {
      const iframe = document.querySelector<HTMLIFrameElement>('#dashboard iframe')!;
      iframe.contentWindow!.postMessage({ type: 'JWT_TOKEN_RESPONSE', token }, '*');
    }, fresh);
    await frame.waitForFunction(
      (old) => document.querySelector('[data-role="expires-at"]')?.textContent !== old,
      before.expiresAt,
    );
    assert.equal(await frame.evaluate(() => (window as any).__marker), 'still here');
    await context.close();
  });

  it('cannot be framed by an origin outside the workspace allow-list', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const token = await stack.impersonate(ALICE);
    const src = `${stack.tessera.url}/embed/dashboards/board-1?token=${token}`;
    const refused = page.waitForEvent('console', {
      predicate: (m) => /frame-ancestors/.test(m.text()),
      timeout: 15_000,
    });
    await page.goto(`${stack.stranger.url}/frame?src=${encodeURIComponent(src)}`);
    await refused;
    const frame = (await (await page.waitForSelector('#embed')).contentFrame())!;
    assert.equal(await frame.$('#tessera-app'), null, 'the embed page rendered inside a disallowed origin');
    await sleep(1000);
    assert.deepEqual(
      await page.evaluate(() => (window as any).__messages),
      [],
      'the embed page posted messages',
    );

    // Mounted through the SDK from that origin, the host hears why the frame stays blank.
    const fresh = await stack.impersonate(ALICE);
    const code = await page.evaluate(
      async ({ sdk, baseUrl, token }) => {
        const { mountDashboard } = await import(sdk);
        const embed = await mountDashboard({
          element: document.body,
          baseUrl,
          dashboardId: 'board-1',
          getToken: () => token,
        });
        return new Promise((resolve) => embed.on('error', (e: { code: string }) => resolve(e.code)));
      },
      { sdk: `${stack.tessera.url}/sdk/embed.js`, baseUrl: stack.tessera.url, token: fresh },
    );
    assert.equal(code, 'EMBED_NOT_READY');
    await context.close();
  });

  it('the SDK matches the page by origin whatever the baseUrl spelling (trailing slash, query, fragment)', async () => {
    context = await browser.newContext();
    try {
      const page = await context.newPage();
      await openHostAs(page, stack, ALICE);
      for (const baseUrl of [`${stack.tessera.url}/`, `${stack.tessera.url}/?x=1#frag`]) {
        const token = await stack.impersonate(ALICE);
        const result = await page.evaluate(
          async ({ sdk, baseUrl, token }) => {
            const { mountDashboard } = await import(sdk);
            const element = document.createElement('div');
            document.body.append(element);
            const embed = await mountDashboard({
              element,
              baseUrl,
              dashboardId: 'board-2',
              getToken: () => token,
            });
            await embed.ready;
            const src = embed.iframe.src as string;
            embed.destroy();
            return src;
          },
          { sdk: `${stack.tessera.url}/sdk/embed.js`, baseUrl, token },
        );
        const src = new URL(result);
        assert.equal(src.origin, stack.tessera.url);
        assert.equal(src.pathname, '/embed/dashboards/board-2');
        assert.equal(src.searchParams.get('x'), null);
      }
    } finally {
      await context.close();
    }
  });

  it('renders hostile attribute values as text, never as markup', async () => {
    context = await browser.newContext();
    try {
      const page = await context.newPage();
      const hostile = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
      const token = await stack.impersonate(ALICE, [{ key: 'note', value: hostile }]);
      await page.goto(`${stack.tessera.url}/embed/dashboards/board-1?token=${token}`);
      await page.waitForSelector('#tessera-app[data-state="active"] [data-role="attributes"]');
      const cell = await page.textContent('[data-role="attributes"] tr[data-key="note"] td:nth-child(2)');
      assert.equal(cell, hostile);
      assert.equal(await page.$('#tessera-app img, #tessera-app script'), null);
      assert.equal(await page.evaluate(() => (window as any).__xss), undefined);
    } finally {
      await context.close();
    }
  });

  it('a wildcard allowed origin (https://*.host) frames the page and talks to its parent like an exact one', async () => {
    const port = new URL(stack.stranger.url).port;
    const setOrigins = async (origins: string[]) => {
      const r = await stack.gql(
        'mutation($input: UpdateWorkspaceEmbedSettingsInput!) { updateWorkspaceEmbedSettings(input: $input) { status { code } } }',
        { input: { allowedEmbedOrigins: origins } },
      );
      assert.equal(r.updateWorkspaceEmbedSettings.status.code, 'OK');
    };
    await setOrigins([stack.host.url, `http://*.embed.localhost:${port}`]);
    context = await browser.newContext();
    try {
      const page = await context.newPage();
      const token = await stack.impersonate(ALICE);
      const src = `${stack.tessera.url}/embed/dashboards/board-1?token=${token}`;
      await page.goto(`http://acme.embed.localhost:${port}/frame?src=${encodeURIComponent(src)}`);
      const frame = (await (await page.waitForSelector('#embed')).contentFrame())!;
      await frame.waitForSelector('#tessera-app[data-state="active"] [data-role="email"]', {
        timeout: 10_000,
      });
      await page.waitForFunction(() =>
        (window as any).__messages.some((m: { type?: string }) => m?.type === 'TESSERA_READY'),
      );
      // The bare host is not a subdomain: the wildcard does not cover it.
      const bare = page.waitForEvent('console', { predicate: (m) => /frame-ancestors/.test(m.text()) });
      await page.goto(`http://embed.localhost:${port}/frame?src=${encodeURIComponent(src)}`);
      await bare;
    } finally {
      await context.close();
      await setOrigins([stack.host.url]);
    }
  });

  it('shows the expired state and posts TESSERA_SESSION_EXPIRED when the host stops answering, then recovers', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const frame = await openHostAs(page, stack, ALICE);
    await frame.evaluate(() => {
      (window as any).__marker = 'kept';
    });
    // The host's backend fails from now on: the SDK cannot answer the page's requests.
    await page.route('**/api/tessera-token', (route) => route.fulfill({ status: 503, body: 'down' }));
    await frame.waitForSelector('#tessera-app[data-state="expired"]', { timeout: 45_000 });
    await page.waitForFunction(() => (window as any).__events.some((e: any) => e.type === 'expired'));
    assert.equal(await frame.isVisible('[data-role="banner"]'), true);
    assert.ok((await hostEvents(page)).some((e) => e.type === 'error' && e.code === 'TOKEN_PROVIDER_FAILED'));

    // No API calls while expired.
    let apiCalls = 0;
    page.on('request', (r) => {
      if (r.url().startsWith(`${stack.tessera.url}/graphql`)) apiCalls++;
    });
    await sleep(3000);
    assert.equal(apiCalls, 0);

    // The host answers again: the page's next request (at most 10 s later) brings it back.
    await page.unroute('**/api/tessera-token');
    await frame.waitForSelector('#tessera-app[data-state="active"]', { timeout: 20_000 });
    const shown = await shownSession(frame);
    assert.equal(shown.email, ALICE);
    assert.ok(Date.parse(shown.expiresAt) > Date.now());
    assert.equal(await frame.evaluate(() => (window as any).__marker), 'kept', 'the page was reloaded');
    await context.close();
  });
});
