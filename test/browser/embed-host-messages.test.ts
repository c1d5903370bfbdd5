// What the embed page does with token responses its own parent sends in a bad shape, in a real
// Chromium: the real host origin (allowed) frames the page and posts malformed
// JWT_TOKEN_RESPONSE messages. See docs/embedding.md "What the embedded page guarantees".
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
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
const ARTIFACTS = new URL('./artifacts/', import.meta.url);

describe('embed page: malformed token responses from the trusted parent', { skip }, () => {
  let stack: EmbedStack;
  let browser: Browser;
  before(async () => {
    stack = await startEmbedStack();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const post = (page: Page, message: unknown) =>
    page.evaluate(
      ([m, origin]) =>
        (document.querySelector('iframe') as HTMLIFrameElement).contentWindow!.postMessage(
          m,
          origin as string,
        ),
      [message, stack.tessera.url] as const,
    );

  it('reports each as TESSERA_ERROR INVALID_TOKEN and keeps the session', async () => {
    const page = await browser.newPage();
    try {
      const frame = await openHostAs(page, stack, ALICE);
      const before = await shownSession(frame);
      const bad = [
        { type: 'JWT_TOKEN_RESPONSE', token: 42 },
        { type: 'JWT_TOKEN_RESPONSE' },
        { type: 'JWT_TOKEN_RESPONSE', token: '' },
        { type: 'JWT_TOKEN_RESPONSE', token: 'x'.repeat(1_000_000) },
      ];
      for (const message of bad) await post(page, message);
      await page.waitForFunction(
        (n) => (window as any).__events.filter((e: any) => e.type === 'error').length >= n,
        bad.length,
      );
      const errors = (await hostEvents(page)).filter((e) => e.type === 'error');
      assert.deepEqual(
        errors.map((e) => e.code),
        bad.map(() => 'INVALID_TOKEN'),
      );
      const afterwards = await shownSession(frame);
      assert.equal(afterwards.state, 'active');
      assert.equal(afterwards.email, before.email);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: new URL('embed-malformed-token-responses.png', ARTIFACTS).pathname });
    } finally {
      await page.close();
    }
  });
});
