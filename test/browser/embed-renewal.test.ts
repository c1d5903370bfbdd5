// The long-running embed: 30-second session tokens kept alive for over two minutes by the
// iframe asking the example host for fresh ones, without ever reloading (docs/embedding.md "The postMessage protocol").
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumUnavailable, launchChromium } from '../helpers/browser.ts';
import {
  ALICE,
  type EmbedStack,
  hostEvents,
  openHostAs,
  shownSession,
  startEmbedStack,
} from '../helpers/embed-stack.ts';

const skip = chromiumUnavailable() ?? false;
const KEEP_MS = 125_000;

describe('embedded session renewal in Chromium', { skip }, () => {
  let stack: EmbedStack;
  let browser: Browser;

  before(async () => {
    [stack, browser] = await Promise.all([startEmbedStack(), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('keeps a 30-second session alive for two minutes: at least 3 renewals, no reload, never expired', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    let tokenRequests = 0;
    page.on('request', (r) => {
      if (r.url() === `${stack.host.url}/api/tessera-token` && r.method() === 'POST') tokenRequests++;
    });
    const frame = await openHostAs(page, stack, ALICE);
    const first = await shownSession(frame);
    await frame.evaluate(() => {
      (window as any).__marker = 'set before any renewal';
    });

    await new Promise((r) => setTimeout(r, KEEP_MS));

    const renewals = tokenRequests - 1; // the first request mounted the iframe
    assert.ok(renewals >= 3, `only ${renewals} renewals in ${KEEP_MS / 1000} s`);
    const events = await hostEvents(page);
    assert.equal(events.filter((e) => e.type === 'renewed').length, renewals);
    assert.deepEqual(
      events.filter((e) => e.type === 'expired' || e.type === 'error'),
      [],
      'the session expired or failed on the way',
    );
    const last = await shownSession(frame);
    assert.equal(last.state, 'active');
    assert.equal(last.email, ALICE);
    assert.ok(
      Date.parse(last.expiresAt) > Date.parse(first.expiresAt) + 60_000,
      'the token was not replaced',
    );
    assert.equal(
      await frame.evaluate(() => (window as any).__marker),
      'set before any renewal',
      'the page reloaded',
    );
    assert.equal(await frame.evaluate(() => performance.getEntriesByType('navigation').length), 1);
    await context.close();
  });
});
