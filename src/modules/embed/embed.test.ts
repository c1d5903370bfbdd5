import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type TestApp, useTestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';
import { impersonate, userWithEmail } from '../../../test/helpers/sessions.ts';
import { ensureWebBuilt } from '../../../test/helpers/web-build.ts';
import { cspOrigins, embedPageCsp } from './csp.ts';

const HOST = 'https://app.acme.example';
const OTHER_HOST = 'http://127.0.0.1:5173';

const get = (t: TestApp, path: string, headers: Record<string, string> = {}) =>
  t.app.fetch(new Request(`http://tessera.test${path}`, { headers }), { ip: '127.0.0.1' });

function frameAncestors(response: Response): string {
  const csp = response.headers.get('content-security-policy') ?? '';
  return /frame-ancestors ([^;]+)/.exec(csp)?.[1] ?? '';
}

async function pageConfig(response: Response): Promise<Record<string, unknown>> {
  const html = await response.text();
  const content = /<meta name="tessera-embed" content="([^"]*)">/.exec(html)?.[1] ?? '';
  return JSON.parse(content.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))));
}

async function allowOrigins(t: TestApp, origins: string[], workspaceId?: string) {
  const r = await t.gql(
    'mutation($input: UpdateWorkspaceEmbedSettingsInput!) { updateWorkspaceEmbedSettings(input: $input) { status { code } } }',
    { input: { allowedEmbedOrigins: origins, ...(workspaceId ? { workspaceId } : {}) } },
  );
  assert.equal(r.body.data?.updateWorkspaceEmbedSettings.status.code, 'OK', JSON.stringify(r.body));
}

before(ensureWebBuilt);

for (const backend of testBackends()) {
  describe(`embed page and SDK routes (${backend.name})`, () => {
    const t = useTestApp(backend, { env: { TESSERA_SESSION_TTL_SECONDS: '60' } });
    let token: string;

    before(async () => {
      await userWithEmail(t(), 'embed@acme.test', [{ key: 'account_id', value: 'acme' }]);
      await allowOrigins(t(), [HOST, OTHER_HOST]);
      token = (await impersonate(t(), 'embed@acme.test')).token!;
    });

    it('frames the page only for the allowed origins of the token’s workspace, with strict headers', async () => {
      const r = await get(t(), `/embed/dashboards/sales-1?token=${token}`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(frameAncestors(r), `${HOST} ${OTHER_HOST}`);
      const csp = r.headers.get('content-security-policy') ?? '';
      for (const directive of [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
      ]) {
        assert.ok(csp.includes(directive), `CSP lacks ${directive}: ${csp}`);
      }
      assert.ok(!/unsafe-inline|unsafe-eval/.test(csp));
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.equal(
        r.headers.get('x-frame-options'),
        null,
        'XFO would override the allow-list in old browsers',
      );
      const html = await r.clone().text();
      assert.ok(!html.includes(token), 'the page echoes the token');
      assert.ok(!/<script>|<style>| on\w+=/.test(html), 'inline script or style would need unsafe-inline');
      assert.deepEqual(await pageConfig(r), {
        dashboardId: 'sales-1',
        workspaceId: t().workspaceId,
        allowedOrigins: [HOST, OTHER_HOST],
        issuer: 'http://tessera.test',
      });
    });

    it('refuses every frame without a valid session token in the URL', async () => {
      const accessKeyInUrl = t().rootKey;
      for (const query of ['', '?token=', '?token=a.b.c', `?token=${token}x`, `?token=${accessKeyInUrl}`]) {
        const r = await get(t(), `/embed/dashboards/sales-1${query}`);
        assert.equal(r.status, 200, query);
        assert.equal(frameAncestors(r), "'none'", query);
        assert.equal(r.headers.get('x-frame-options'), 'DENY', query);
        assert.equal((await pageConfig(r)).workspaceId, null, query);
      }
    });

    it('refuses frames once the token has expired', async () => {
      const short = (await impersonate(t(), 'embed@acme.test')).token!;
      // Past its 60 s lifetime and the verifier's 60 s clock-skew allowance.
      t().clock.advance(121_000);
      try {
        assert.equal(frameAncestors(await get(t(), `/embed/dashboards/sales-1?token=${short}`)), "'none'");
      } finally {
        t().clock.advance(-121_000);
      }
    });

    it('frames a reload without a token (?ws= hint) for that workspace only', async () => {
      const hinted = await get(t(), `/embed/dashboards/sales-1?ws=${t().workspaceId}`);
      assert.equal(frameAncestors(hinted), `${HOST} ${OTHER_HOST}`);
      assert.equal((await pageConfig(hinted)).workspaceId, t().workspaceId);
      for (const ws of ['ws_00000000000000000000000000', 'nope', "ws_1'; script-src *"]) {
        const r = await get(t(), `/embed/dashboards/sales-1?ws=${encodeURIComponent(ws)}`);
        assert.equal(frameAncestors(r), "'none'", ws);
      }
      // A token always decides over the hint, even an invalid one.
      const both = await get(t(), `/embed/dashboards/sales-1?token=bad.to.ken&ws=${t().workspaceId}`);
      assert.equal(frameAncestors(both), "'none'");
    });

    it('a workspace with no allowed origins cannot be framed, even with a valid token', async () => {
      const ws = await t().gql(
        'mutation { createWorkspace(input: { name: "No embeds" }) { workspace { id } } }',
      );
      const workspaceId = ws.body.data?.createWorkspace.workspace.id as string;
      assert.ok(workspaceId, JSON.stringify(ws.body));
      const key = await t().key(['iam:write', 'impersonate'], workspaceId);
      await t().gql(
        'mutation($input: CreateUsersInput!) { createUsers(input: $input) { status { code } } }',
        { input: { emails: ['lonely@else.test'] } },
        key,
      );
      const other = (await impersonate(t(), 'lonely@else.test', { key })).token!;
      const r = await get(t(), `/embed/dashboards/sales-1?token=${other}`);
      assert.equal(frameAncestors(r), "'none'");
      assert.equal((await pageConfig(r)).workspaceId, workspaceId);
    });

    it('answers 404 for a malformed dashboard id', async () => {
      for (const id of ['a%20b', 'x'.repeat(129), '..%2Fsecret']) {
        assert.equal((await get(t(), `/embed/dashboards/${id}?token=${token}`)).status, 404, id);
      }
    });

    it('serves the app bundle from Tessera with versioned, immutable URLs', async () => {
      const html = await (await get(t(), '/embed/dashboards/sales-1')).text();
      const script = /<script type="module" src="([^"]+)">/.exec(html)?.[1];
      const style = /<link rel="stylesheet" href="([^"]+)">/.exec(html)?.[1];
      assert.match(script ?? '', /^\/embed\/assets\/embed\.js\?v=[0-9a-f]{16}$/);
      assert.match(style ?? '', /^\/embed\/assets\/embed\.css\?v=[0-9a-f]{16}$/);
      const js = await get(t(), script!);
      assert.equal(js.status, 200);
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.ok((await js.text()).includes('REQUEST_JWT_TOKEN'));
      const css = await get(t(), style!);
      assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
      assert.equal((await get(t(), '/embed/assets/embed.js')).headers.get('cache-control'), 'no-cache');
      assert.equal((await get(t(), '/embed/assets/other.js')).status, 404);
    });

    it('takes nothing from Host or forwarding headers: no poisoned SDK, issuer or asset URLs, no redirects', async () => {
      const poison = {
        host: 'evil.example',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'http',
        'x-forwarded-prefix': '/evil',
        'x-original-url': '/evil',
        'x-rewrite-url': '/evil',
        forwarded: 'host=evil.example;proto=http',
      };
      for (const path of ['/sdk/embed.js', '/sdk/embed.d.ts']) {
        const clean = await get(t(), path);
        const poisoned = await get(t(), path, poison);
        assert.equal(poisoned.status, 200);
        const [a, b] = [await clean.text(), await poisoned.text()];
        assert.equal(b, a, `${path} varies with request headers`);
        assert.doesNotMatch(b, /evil/);
        assert.equal(poisoned.headers.get('etag'), clean.headers.get('etag'));
        assert.equal(poisoned.headers.get('set-cookie'), null);
        assert.equal(poisoned.headers.get('vary'), null);
      }
      const page = await get(t(), `/embed/dashboards/sales-1?token=${token}`, poison);
      const html = await page.clone().text();
      assert.doesNotMatch(html, /evil/);
      assert.equal((await pageConfig(page)).issuer, 'http://tessera.test');
      assert.match(html, /src="\/embed\/assets\/embed\.js\?v=[0-9a-f]+"/);
      for (const path of [
        '//evil.example/embed/dashboards/x',
        '/embed/dashboards/%2F%2Fevil.example',
        '/embed/dashboards/x/..%2F..%2Fevil',
      ]) {
        const r = await get(t(), path);
        assert.equal(r.headers.get('location'), null, path);
        assert.ok(r.status === 404 || r.status === 200, `${path}: ${r.status}`);
        assert.doesNotMatch(await r.text(), /evil\.example/, path);
      }
    });

    it('serves the host SDK as a public, cacheable ES module with its types', async () => {
      const r = await get(t(), '/sdk/embed.js');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      assert.equal(r.headers.get('cache-control'), 'public, max-age=300, must-revalidate');
      const etag = r.headers.get('etag');
      assert.match(etag ?? '', /^"[0-9a-f]{16}"$/);
      const source = await r.text();
      assert.match(source, /export\s*\{[^}]*mountDashboard/);
      assert.ok(!/\bimport\b/.test(source), 'the SDK must be dependency-free');
      const revalidated = await get(t(), '/sdk/embed.js', { 'if-none-match': etag! });
      assert.equal(revalidated.status, 304);
      const types = await get(t(), '/sdk/embed.d.ts');
      assert.equal(types.status, 200);
      assert.match(
        await types.text(),
        /export declare function mountDashboard\(options: MountOptions\): Promise<EmbeddedDashboard>/,
      );
    });
  });
}

describe('embed CSP', () => {
  it('keeps only well-formed origins, so a stored value cannot inject a directive', () => {
    assert.deepEqual(
      cspOrigins([
        'https://a.example',
        'https://*.b.example',
        'http://[::1]:8080',
        "https://x.example; script-src 'unsafe-inline'",
        'https://c.example/path',
        'javascript:alert(1)',
        "'self'",
      ]),
      ['https://a.example', 'https://*.b.example', 'http://[::1]:8080'],
    );
    assert.match(embedPageCsp([]), /frame-ancestors 'none'$/);
    assert.match(embedPageCsp(['https://a.example']), /frame-ancestors https:\/\/a\.example$/);
  });
});
