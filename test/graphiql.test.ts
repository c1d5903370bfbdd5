import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type App, createApp } from '../src/app.ts';
import { GRAPHIQL_CSP } from '../src/modules/graphiql/page.ts';
import { testConfig } from './helpers/app.ts';

const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

/** An in-memory app with the given environment. */
async function open(env: Record<string, string>): Promise<App> {
  const config = { ...testConfig(env), database: { kind: 'pglite' as const, dataDir: null }, dataDir: null };
  return createApp(config);
}

describe('GraphiQL at GET /graphql (on outside production)', () => {
  let app: App;
  before(async () => {
    app = await open({});
  });
  after(() => app?.close());

  it('answers a browser with the page, under a CSP that allows Tessera itself only', async () => {
    const r = await app.fetch(new Request('http://tessera.test/graphql', { headers: BROWSER }));
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(r.headers.get('content-security-policy'), GRAPHIQL_CSP);
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    const html = await r.text();
    // No inline script: every <script> with code is a same-origin file; the options are JSON.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    for (const [, attributes, body] of scripts) {
      if (/type="application\/json"/.test(attributes!)) continue;
      assert.match(attributes!, /src="\/graphiql\//);
      assert.equal(body, '');
    }
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from another origin');
    for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const asset = await app.fetch(new Request(`http://tessera.test${src[1]}`));
      assert.equal(asset.status, 200, src[1]);
      assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
      await asset.arrayBuffer();
    }
  });

  it('leaves GraphQL requests alone, including GET queries', async () => {
    const get = await app.fetch(
      new Request('http://tessera.test/graphql?query=%7Bhealth%7D', {
        headers: { accept: 'application/json' },
      }),
    );
    assert.equal(get.status, 200);
    assert.deepEqual(await get.json(), { data: { health: 'ok' } });
    const post = await app.fetch(
      new Request('http://tessera.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...BROWSER },
        body: JSON.stringify({ query: '{ health }' }),
      }),
    );
    assert.equal(post.status, 200);
    assert.doesNotMatch(post.headers.get('content-type') ?? '', /text\/html/);
  });

  it('unknown asset names are 404', async () => {
    const r = await app.fetch(new Request('http://tessera.test/graphiql/..%2Fpackage.json'));
    assert.equal(r.status, 404);
    await r.arrayBuffer();
  });
});

describe('GraphiQL off', () => {
  const offEnvironments: Record<string, string>[] = [
    { NODE_ENV: 'production', TESSERA_MASTER_KEY: 'a'.repeat(64) },
    { TESSERA_GRAPHIQL: 'false' },
  ];
  for (const env of offEnvironments) {
    it(`with ${JSON.stringify(env)}: no page and no assets`, async () => {
      const app = await open(env);
      try {
        const page = await app.fetch(new Request('http://tessera.test/graphql', { headers: BROWSER }));
        assert.doesNotMatch(page.headers.get('content-type') ?? '', /text\/html/);
        await page.arrayBuffer();
        const asset = await app.fetch(new Request('http://tessera.test/graphiql/graphiql.js'));
        assert.equal(asset.status, 404);
        await asset.arrayBuffer();
      } finally {
        await app.close();
      }
    });
  }
  it('TESSERA_GRAPHIQL=true turns it on in production', async () => {
    const app = await open({
      NODE_ENV: 'production',
      TESSERA_MASTER_KEY: 'a'.repeat(64),
      TESSERA_GRAPHIQL: 'true',
    });
    try {
      const page = await app.fetch(new Request('http://tessera.test/graphql', { headers: BROWSER }));
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      await page.arrayBuffer();
    } finally {
      await app.close();
    }
  });
});
