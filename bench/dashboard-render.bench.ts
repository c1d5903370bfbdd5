// Time to first full render of the demo dashboard ("Sales overview", six tiles) in Chromium:
// from navigation start until every tile has left its loading state, with a cold browser cache
// (a fresh context each time) and a warm one (the same context again: the hashed bundle comes
// from the cache; the server's tile result cache is warm too). The baseline is the same browser
// navigating to GET /healthz in the same conditions.
import type { Browser, BrowserContext } from 'playwright-core';
import { chromiumUnavailable, launchChromium } from '../test/helpers/browser.ts';
import { startDashboardStack } from '../test/helpers/dashboard-stack.ts';
import { printSection } from './measure.ts';

const RUNS = 5;
const unavailable = chromiumUnavailable();
if (unavailable) {
  printSection('Embedded dashboard: first full render in Chromium', [], [`Skipped: ${unavailable}`]);
  process.exit(0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const stack = await startDashboardStack();
let browser: Browser | undefined;
try {
  browser = await launchChromium();
  const impersonate = async () =>
    (
      await stack.gql(
        'mutation($k: String!) { impersonateUser(accessToken: $k, userEmail: "alice@acme.example") }',
        {
          k: stack.tessera.firstKey,
        },
      )
    ).impersonateUser as string;

  /** Milliseconds from navigation start until all six tiles are drawn (or in a final state). */
  const render = async (context: BrowserContext): Promise<number> => {
    const page = await context.newPage();
    await page.goto(
      `${stack.tessera.url}/embed/dashboards/${stack.dashboard.id}?token=${await impersonate()}`,
    );
    await page.waitForFunction(
      (n) => {
        const tiles = [...document.querySelectorAll<HTMLElement>('.tile')];
        return tiles.length === n && tiles.every((t) => t.dataset.state !== 'loading');
      },
      stack.dashboard.tiles.length,
      { timeout: 60_000, polling: 'raf' },
    );
    const ms = await page.evaluate(() => performance.now());
    const states = await page.$$eval('.tile', (ts) => ts.map((t) => (t as HTMLElement).dataset.state));
    if (!states.every((s) => s === 'ready')) throw new Error(`tiles not ready: ${states.join(', ')}`);
    await page.close();
    return ms;
  };
  const health = async (context: BrowserContext): Promise<number> => {
    const page = await context.newPage();
    await page.goto(`${stack.tessera.url}/healthz`);
    const ms = await page.evaluate(() => performance.now());
    await page.close();
    return ms;
  };

  const cold: number[] = [];
  const coldBase: number[] = [];
  const warm: number[] = [];
  const warmBase: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    // Interleaved, so a burst of load on the shared machine hits both columns alike.
    coldBase.push(await health(context));
    cold.push(await render(context));
    warmBase.push(await health(context));
    warm.push(await render(context));
    await context.close();
  }
  const rows = [
    {
      figure: `6-tile dashboard, cold browser cache, median of ${RUNS}`,
      tessera: median(cold),
      baseline: median(coldBase),
      baselineName: 'GET /healthz, cold',
      unit: 'ms',
    },
    {
      figure: `6-tile dashboard, warm cache, median of ${RUNS}`,
      tessera: median(warm),
      baseline: median(warmBase),
      baselineName: 'GET /healthz, warm',
      unit: 'ms',
    },
  ];
  printSection('Embedded dashboard: first full render in Chromium', rows, [
    'From navigation start until every tile is drawn; each tile is its own dashboardTileResult request, all in parallel. Headless Chromium, software rendering.',
  ]);
} finally {
  await browser?.close();
  await stack.stop();
}
