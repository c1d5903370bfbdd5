// GraphiQL in a real headless Chromium with no network beyond Tessera: the page, its scripts,
// styles and Monaco's workers must all come from Tessera, under the page's CSP, and run a query.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumUnavailable, launchChromium } from '../helpers/browser.ts';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.ts';

const skip = chromiumUnavailable() ?? false;

describe('GraphiQL in Chromium, offline', { skip }, () => {
  let server: ServerProcess;
  let browser: Browser;

  before(async () => {
    [server, browser] = await Promise.all([startServerProcess(), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('loads from Tessera alone, with no CSP violation, and runs the default query', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const elsewhere: string[] = [];
    // Offline: anything not served by this Tessera is refused and remembered.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${server.url}/`) || url.startsWith('data:') || url.startsWith('blob:'))
        return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text().slice(0, 200)}`);
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    const introspection = page.waitForResponse(
      (r) => r.url() === `${server.url}/graphql` && (r.request().postData() ?? '').includes('__schema'),
    );

    const response = await page.goto(`${server.url}/graphql`);
    assert.equal(response?.status(), 200);
    await page.waitForSelector('.graphiql-container', { timeout: 60_000 });
    assert.equal((await introspection).status(), 200, 'the schema loads without a credential');

    await page.click('.graphiql-execute-button');
    await page.waitForFunction(
      () => document.querySelector('.graphiql-response')?.textContent?.includes('"health"'),
      undefined,
      { timeout: 30_000 },
    );
    const result = (await page.textContent('.graphiql-response')) ?? '';
    assert.match(result.replace(/\s+/g, ''), /"health":"ok"/);
    // Monaco's workers started from Tessera's own URLs (a blocked worker is a console error).
    assert.deepEqual(elsewhere, [], 'no request left Tessera');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
