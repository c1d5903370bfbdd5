// The embedded demo dashboard in a real headless Chromium.
// See docs/embedding.md "The dashboard page".
// The example host embeds "Sales overview" for Alice and Bob, and every number each page
// shows equals the SQL run on that tenant's rows alone. Screenshots go to test/browser/artifacts/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { chromiumUnavailable, launchChromium } from '../helpers/browser.ts';
import {
  type DashboardStack,
  type DemoDashboard,
  startDashboardStack,
  VIEWER,
} from '../helpers/dashboard-stack.ts';

const skip = chromiumUnavailable() ?? false;
const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const ALICE = 'alice@acme.example';
const BOB = 'bob@globex.example';

/** Signs in to the example host (optionally with `?filter.…` on its URL) and returns the embed frame. */
async function openAs(page: Page, stack: DashboardStack, email: string, query = ''): Promise<Frame> {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
  });
  (page as any).__violations = violations;
  await page.goto(stack.host.url);
  await page.fill('input[name=email]', email);
  await Promise.all([page.waitForURL(`${stack.host.url}/`), page.click('button[type=submit]')]);
  if (query) await page.goto(`${stack.host.url}/${query}`);
  return embeddedDashboard(page, stack);
}

/** The host page's embed frame, once its dashboard has loaded; records the SDK's events. */
async function embeddedDashboard(page: Page, stack: DashboardStack): Promise<Frame> {
  await page.waitForFunction(() => (window as any).tesseraEmbed !== undefined);
  await page.evaluate(() => {
    const w = window as any;
    w.__events = [];
    for (const type of ['ready', 'expired', 'error', 'renewed', 'filtersChanged'])
      w.tesseraEmbed.on(type, (e: unknown) => w.__events.push(e));
  });
  const handle = await page.waitForSelector(`iframe[src^="${stack.tessera.url}/embed/dashboards/"]`);
  const frame = (await handle.contentFrame())!;
  await frame.waitForSelector('[data-role="dashboard"][data-status="ready"]', { timeout: 30_000 });
  return frame;
}

/**
 * Waits until every tile is in a final state (an expired one reloads by itself once the renewal
 * lands, which a busy machine can delay past a 30-second token's expiry); returns the states.
 */
async function settled(frame: Frame): Promise<Record<string, string>> {
  await frame.waitForFunction(
    () => {
      const tiles = [...document.querySelectorAll<HTMLElement>('.tile')];
      return tiles.length > 0 && tiles.every((t) => !['loading', 'expired'].includes(t.dataset.state ?? ''));
    },
    undefined,
    { timeout: 60_000 },
  );
  return frame.$$eval('.tile', (tiles) =>
    Object.fromEntries(
      tiles.map((t) => [(t as HTMLElement).dataset.tile!, (t as HTMLElement).dataset.state!]),
    ),
  );
}

/** What a tile shows, as raw values: a number tile's value, or the rows of its table / chart data. */
async function shown(frame: Frame, tileId: string): Promise<unknown[][]> {
  return frame.$eval(`.tile[data-tile="${tileId}"]`, (tile) => {
    const number = tile.querySelector<HTMLElement>('[data-role="number-value"]');
    if (number) return [[number.dataset.value ?? '']];
    const rows = tile.querySelectorAll(
      '[data-role="chart-data"] tbody tr, [data-role="tile-table"] tbody tr',
    );
    return [...rows].map((r) =>
      [...r.querySelectorAll<HTMLElement>('td')].map((td) => td.dataset.value ?? ''),
    );
  });
}

/** Compares like the eye does: numbers by value (to the cent), dates by day, the rest as text; null as ''. */
function normalize(rows: unknown[][]): string[][] {
  return rows.map((row) =>
    row.map((v) => {
      if (v === null || v === undefined || v === '') return '';
      if (v instanceof Date) return v.toISOString().slice(0, 10);
      const text = String(v);
      if (/^\d{4}-\d{2}-\d{2}T/.test(text)) return text.slice(0, 10);
      const n = Number(text);
      return typeof v !== 'boolean' && text.trim() !== '' && !Number.isNaN(n) ? n.toFixed(2) : text;
    }),
  );
}

async function assertTenantNumbers(
  frame: Frame,
  stack: DashboardStack,
  email: string,
  filters?: ReadonlyMap<string, readonly string[]>,
  dashboard: DemoDashboard = stack.dashboard,
): Promise<void> {
  const states = await settled(frame);
  for (const tile of dashboard.tiles) {
    const expected = await stack.expected(email, tile.sql, filters, dashboard);
    // A table with no rows says so (the "empty" state); every other tile must be ready.
    const state = expected.length === 0 && tile.visualization === 'TABLE' ? 'empty' : 'ready';
    assert.equal(states[tile.id], state, `${email}: tile "${tile.title}" is ${states[tile.id]}`);
    const got = await shown(frame, tile.id);
    const want = tile.visualization === 'NUMBER' ? [[expected[0]?.[0] ?? null]] : expected;
    // Tables show one page of ten rows.
    const page = tile.visualization === 'TABLE' ? want.slice(0, 10) : want;
    assert.deepEqual(normalize(got), normalize(page), `${email}: tile "${tile.title}"`);
  }
}

/**
 * Retries `check` until it passes (a filter change reloads its tiles asynchronously) or the time
 * is up, then fails with its last error.
 */
async function eventually(check: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe('the embedded demo dashboard in Chromium', { skip }, () => {
  let stack: DashboardStack;
  let browser: Browser;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [stack, browser] = await Promise.all([startDashboardStack(), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('Alice and Bob open the same dashboard URL and each sees their own tenant’s numbers', async () => {
    const srcs: string[] = [];
    for (const email of [ALICE, BOB]) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
      try {
        const page = await context.newPage();
        const frame = await openAs(page, stack, email);
        srcs.push(new URL(frame.url()).pathname);
        await assertTenantNumbers(frame, stack, email);
        // The column policy on customer names: Alice (pii=allowed) reads them, Bob does not.
        const names = (await shown(frame, 'customer_contacts')).map((row) => row[0]);
        if (email === ALICE) assert.deepEqual(names, ['Acme Berlin', 'Acme Paris', 'Acme Austin']);
        else assert.deepEqual(names, ['(hidden)', '(hidden)']);
        assert.equal(await frame.textContent('[data-role="email"]'), email);
        assert.deepEqual((page as any).__violations, [], 'the strict CSP was violated');
        await page.waitForTimeout(300); // let the charts finish their first paint
        await page.screenshot({
          path: new URL(`dashboard-${email.split('@')[0]}.png`, ARTIFACTS).pathname,
          fullPage: true,
        });
      } finally {
        await context.close();
      }
    }
    assert.equal(srcs[0], srcs[1], 'both users open the same dashboard URL');
    // The two tenants' numbers really differ (else the test above proves nothing).
    const number = stack.dashboard.tiles.find((t) => t.visualization === 'NUMBER')!;
    assert.notDeepEqual(
      normalize(await stack.expected(ALICE, number.sql)),
      normalize(await stack.expected(BOB, number.sql)),
    );
  });

  it('a viewer sees the dashboard but no edit control', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const frame = await openAs(page, stack, VIEWER);
      await settled(frame);
      assert.equal(await frame.getAttribute('[data-role="dashboard"]', 'data-access'), 'VIEW');
      for (const role of ['edit', 'add-tile', 'save', 'edit-tile', 'remove-tile', 'move-tile']) {
        assert.equal(await frame.$(`[data-role="${role}"]`), null, `a viewer has ${role}`);
      }
      await assertTenantNumbers(frame, stack, VIEWER);
    } finally {
      await context.close();
    }
  });

  it('an unknown dashboard id says so clearly', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const token = (
        await stack.gql(
          'mutation($k: String!, $e: String!) { impersonateUser(accessToken: $k, userEmail: $e) }',
          { k: stack.tessera.firstKey, e: ALICE },
        )
      ).impersonateUser;
      await page.goto(`${stack.tessera.url}/embed/dashboards/no-such-board?token=${token}`);
      await page.waitForSelector('[data-role="dashboard"][data-status="missing"]');
      assert.match((await page.textContent('[data-role="dashboard-message"]')) ?? '', /does not exist/);
      assert.equal(await page.$('.tile'), null);
    } finally {
      await context.close();
    }
  });

  it('an explorer adds a tile in edit mode, previews its SQL, saves, and it is there after a reload', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    try {
      const page = await context.newPage();
      const frame = await openAs(page, stack, ALICE);
      await settled(frame);
      const version = Number(await frame.getAttribute('[data-role="dashboard"]', 'data-version'));
      await frame.click('[data-role="edit"]');
      await frame.click('[data-role="add-tile"]');
      const editor = await frame.waitForSelector('[data-role="tile-editor"]');
      await editor.$eval('input[name="title"]', (el: HTMLInputElement) => {
        el.value = '';
      });
      await frame.fill('[data-role="tile-editor"] input[name="title"]', 'Orders per customer');
      const sql =
        'select c.name as customer, count(*) as orders from orders o join customers c on c.id = o.customer_id group by c.name order by c.name';
      await frame.fill('[data-role="tile-editor"] textarea[name="sql"]', sql);
      await frame.click('[data-role="run-preview"]');
      await frame.waitForSelector('[data-role="preview-table"]');
      await frame.selectOption('[data-role="tile-editor"] select[name="visualization"]', 'BAR');
      await frame.fill('[data-role="tile-editor"] input[name="x"]', 'customer');
      await frame.fill('[data-role="tile-editor"] input[name="y"]', 'orders');
      await frame.click('[data-role="editor-apply"]');
      // Keyboard layout: move the new tile one column right.
      const added = frame.locator('.tile', { hasText: 'Orders per customer' });
      await added.locator('[data-role="move-tile"]').press('ArrowRight');
      await frame.click('[data-role="save"]');
      await frame.waitForFunction(
        (v) =>
          document.querySelector<HTMLElement>('[data-role="dashboard"]')?.dataset.version === String(v + 1),
        version,
      );
      assert.equal(await frame.$('[data-role="save"]'), null, 'edit mode ended on save');

      await page.reload();
      const reloaded = await embeddedDashboard(page, stack);
      await settled(reloaded);
      const tile = reloaded.locator('.tile', { hasText: 'Orders per customer' });
      const id = await tile.getAttribute('data-tile');
      assert.ok(id, 'the new tile is there after a reload');
      assert.deepEqual(normalize(await shown(reloaded, id!)), normalize(await stack.expected(ALICE, sql)));
      const saved = (
        await stack.gql('query($id: ID!) { dashboard(id: $id) { version tiles { id position { x } } } }', {
          id: stack.dashboard.id,
        })
      ).dashboard;
      assert.equal(saved.version, version + 1);
      assert.equal(saved.tiles.find((t: { id: string }) => t.id === id).position.x, 1);
    } finally {
      await context.close();
    }
  });

  it('a tile over the multi-select filter follows the selection, its rows equal to SQL for each tenant', async () => {
    const recent = stack.dashboard.tiles.filter((tile) => tile.id === 'recent_orders');
    assert.equal(recent.length, 1);
    assert.match(recent[0]!.sql, /in \(\{\{region\}\}\)/);
    const only = { ...stack.dashboard, tiles: recent };
    const select = 'select[data-filter="region"]';
    for (const [email, choices] of [
      [ALICE, [['FR'], ['DE', 'FR'], ['US']]],
      [BOB, [['US'], ['DE']]],
    ] as const) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
      try {
        const page = await context.newPage();
        const frame = await openAs(page, stack, email);
        await frame.waitForSelector(`${select}[data-options="loaded"]`);
        await assertTenantNumbers(frame, stack, email, undefined, only);
        const before = normalize(await shown(frame, 'recent_orders'));
        const seen = new Set<string>();
        for (const values of choices) {
          await frame.selectOption(select, [...values]);
          const filters = new Map([['region', [...values]]]);
          await eventually(() => assertTenantNumbers(frame, stack, email, filters, only));
          seen.add(JSON.stringify(normalize(await shown(frame, 'recent_orders'))));
        }
        // Some selection changed the rows (else the comparison above proves nothing).
        assert.ok(
          [...seen].some((rows) => rows !== JSON.stringify(before)),
          `${email}: ${[...seen]}`,
        );
      } finally {
        await context.close();
      }
    }
  });

  it('the date-range and text filters change the tile numbers, equal to SQL for those values', async () => {
    const board = stack.explore;
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    try {
      const page = await context.newPage();
      const frame = await openAs(page, stack, ALICE, `?dashboard=${board.id}`);
      await assertTenantNumbers(frame, stack, ALICE, undefined, board);
      const revenue = async () => normalize(await shown(frame, 'period_revenue'));
      const all = await revenue();

      const period = ['2026-01-06', '2026-02-28'];
      await frame.fill('input[data-filter="period"][data-part="from"]', period[0]!);
      await frame.fill('input[data-filter="period"][data-part="to"]', period[1]!);
      const inPeriod = new Map([['period', period]]);
      await eventually(() => assertTenantNumbers(frame, stack, ALICE, inPeriod, board));
      assert.notDeepEqual(await revenue(), all, 'the period changed the revenue');

      const customer = frame.locator('input[data-filter="customer"]');
      await customer.fill('Acme Berlin');
      await customer.press('Enter');
      const both = new Map([...inPeriod, ['customer', ['Acme Berlin']]]);
      await eventually(() => assertTenantNumbers(frame, stack, ALICE, both, board));
      // The customer tiles ignore the period: all of Acme Berlin's orders.
      assert.deepEqual(normalize(await shown(frame, 'customer_orders')), [['2.00']]);
      await customer.fill('Acme Paris');
      await customer.press('Enter');
      const paris = new Map([...inPeriod, ['customer', ['Acme Paris']]]);
      await eventually(() => assertTenantNumbers(frame, stack, ALICE, paris, board));
      await page.screenshot({ path: new URL('dashboard-filters.png', ARTIFACTS).pathname, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('an explorer drags a tile to a new place with the pointer; the position is saved and kept after a reload', async () => {
    const board = stack.explore;
    const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
    try {
      const page = await context.newPage();
      const frame = await openAs(page, stack, ALICE, `?dashboard=${board.id}`);
      await settled(frame);
      const version = Number(await frame.getAttribute('[data-role="dashboard"]', 'data-version'));
      await frame.click('[data-role="edit"]');
      const tile = frame.locator('.tile[data-tile="customer_orders"]');
      const handle = tile.locator('[data-role="move-tile"]');
      // One grid column and one row in screen pixels, as the page lays them out.
      const cell = await frame.$eval('[data-role="grid"]', (grid) => {
        const style = getComputedStyle(grid);
        const gap = parseFloat(style.columnGap) || 0;
        return {
          column: (grid.getBoundingClientRect().width + gap) / 12,
          row: (parseFloat(style.gridAutoRows) || 80) + (parseFloat(style.rowGap) || 0),
        };
      });
      // Six columns right and four rows down: below every other tile, so nothing covers it.
      const box = (await handle.boundingBox())!;
      const start = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      await page.mouse.move(start.x, start.y);
      await page.mouse.down();
      await page.mouse.move(start.x + 6 * cell.column, start.y + 4 * cell.row, { steps: 12 });
      await page.mouse.up();
      await frame.waitForFunction(
        () =>
          document
            .querySelector<HTMLElement>('.tile[data-tile="customer_orders"]')
            ?.style.getPropertyValue('--tile-col') === '7 / span 3',
      );
      assert.equal(
        await tile.evaluate((el) => (el as HTMLElement).style.getPropertyValue('--tile-row')),
        '9 / span 2',
      );
      await frame.click('[data-role="save"]');
      await frame.waitForFunction(
        (v) =>
          document.querySelector<HTMLElement>('[data-role="dashboard"]')?.dataset.version === String(v + 1),
        version,
      );
      const saved = (
        await stack.gql(
          'query($id: ID!) { dashboard(id: $id) { version tiles { id position { x y w h } } } }',
          {
            id: board.id,
          },
        )
      ).dashboard;
      assert.deepEqual(saved.tiles.find((x: { id: string }) => x.id === 'customer_orders').position, {
        x: 6,
        y: 8,
        w: 3,
        h: 2,
      });
      await page.reload();
      const reloaded = await embeddedDashboard(page, stack);
      await settled(reloaded);
      assert.equal(
        await reloaded.$eval('.tile[data-tile="customer_orders"]', (el) =>
          (el as HTMLElement).style.getPropertyValue('--tile-col'),
        ),
        '7 / span 3',
        'the dragged column after a reload',
      );
      assert.equal(
        await reloaded.$eval('.tile[data-tile="customer_orders"]', (el) =>
          (el as HTMLElement).style.getPropertyValue('--tile-row'),
        ),
        '9 / span 2',
        'the dragged row after a reload',
      );
      await page.screenshot({ path: new URL('dashboard-dragged.png', ARTIFACTS).pathname, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('a filter from the URL and the SDK survives three token renewals; expiry shows on every tile and recovers', async () => {
    const board = stack.filtered;
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    try {
      const page = await context.newPage();
      const frame = await openAs(page, stack, ALICE, `?dashboard=${board.id}&filter.region=DE`);
      const select = 'select[data-filter="region"]';
      const selected = () =>
        frame.$eval(select, (s: HTMLSelectElement) => [...s.selectedOptions].map((o) => o.value));
      await frame.waitForSelector(`${select}[data-options="loaded"]`);
      assert.deepEqual(await selected(), ['DE'], 'the URL set the filter');
      const de = new Map([['region', ['DE']]]);
      await assertTenantNumbers(frame, stack, ALICE, de, board);
      // The host changes it through the SDK: the page takes it, reports it, and reloads its tiles.
      await page.evaluate(() => (window as any).tesseraEmbed.setFilters({ region: 'FR' }));
      await page.waitForFunction(() =>
        (window as any).__events.some((e: any) => e.type === 'filtersChanged'),
      );
      assert.deepEqual(await selected(), ['FR']);
      assert.equal(new URL(frame.url()).searchParams.get('filter.region'), 'FR');
      const fr = new Map([['region', ['FR']]]);
      await assertTenantNumbers(frame, stack, ALICE, fr, board);
      await frame.evaluate(() => {
        (window as any).__marker = 'kept';
      });
      await page.waitForFunction(
        () => (window as any).__events.filter((e: any) => e.type === 'renewed').length >= 3,
        undefined,
        { timeout: 120_000, polling: 1000 },
      );
      assert.deepEqual(
        (await page.evaluate(() => (window as any).__events)).filter((e: any) => e.type === 'expired'),
        [],
      );
      assert.equal(await frame.evaluate(() => (window as any).__marker), 'kept', 'the page reloaded');
      assert.deepEqual(await selected(), ['FR'], 'the filter was lost on a renewal');
      await assertTenantNumbers(frame, stack, ALICE, fr, board);

      // The host's backend fails: the session runs out and every tile says so.
      await page.route('**/api/tessera-token', (route) => route.fulfill({ status: 503, body: 'down' }));
      await frame.waitForSelector('#tessera-app[data-state="expired"]', { timeout: 60_000 });
      const expiredStates = await frame.$$eval('.tile', (ts) =>
        ts.map((t) => (t as HTMLElement).dataset.state),
      );
      assert.ok(
        expiredStates.length > 0 && expiredStates.every((s) => s === 'expired'),
        `tile states: ${expiredStates}`,
      );
      await page.screenshot({ path: new URL('dashboard-expired.png', ARTIFACTS).pathname, fullPage: true });
      await page.unroute('**/api/tessera-token');
      await frame.waitForSelector('#tessera-app[data-state="active"]', { timeout: 30_000 });
      await assertTenantNumbers(frame, stack, ALICE, fr, board);
      assert.deepEqual(await selected(), ['FR']);
      assert.equal(await frame.evaluate(() => (window as any).__marker), 'kept', 'the page reloaded');
    } finally {
      await context.close();
    }
  });
});
