import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { exampleTypes } from '../support/examples';
import { startTestStack, TestStack } from '../support/test-stack';

const CHROMIUM = process.env.TONGBAN_CHROMIUM ?? '/usr/bin/chromium';
// The committed screenshot is refreshed on request (or when missing), so a test run leaves the checkout clean.
const DOCS_SCREENSHOT = join(__dirname, '../../docs/gateway-api-docs.png');
const SCREENSHOT =
  process.env.TONGBAN_UPDATE_SCREENSHOT === '1' || !existsSync(DOCS_SCREENSHOT) ? DOCS_SCREENSHOT : join(tmpdir(), 'tongban-gateway-api-docs.png');

describe('the gateway API page in headless chromium', () => {
  let stack: TestStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startTestStack({ relay: false });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('reads offline: one request, no error, every route and event type reachable from the contents', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    const res = await page.goto(`${stack.gatewayUrl}/docs`);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toContain('tongban gateway');
    // Nothing fetched besides the page itself (its icon is an empty data: URL, so not even a favicon).
    expect(requests.filter((u) => !u.startsWith('data:'))).toEqual([`${stack.gatewayUrl}/docs`]);

    await page.screenshot({ path: SCREENSHOT, fullPage: false });

    // The contents list every route; following one lands on its description.
    const links = await page.locator('nav.side a[href^="#op-"]').count();
    const doc = (await (await fetch(`${stack.gatewayUrl}/openapi.json`)).json()) as { paths: Record<string, object> };
    expect(links).toBe(Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0));
    await page.click('nav.side a[href="#op-getEvent"]');
    await page.locator('#op-getEvent').waitFor();
    expect(await page.locator('#op-getEvent .path').textContent()).toBe('/v1/events/{eventId}');
    expect(await page.locator('#op-getEvent').textContent()).toContain('404');

    // Every event type is listed; its payload fields and example are on the page.
    expect(await page.locator('nav.side ul.events a').count()).toBe(exampleTypes().length);
    await page.click('nav.side a[href="#event-EconomicCheckHouseholdChanged"]');
    const event = page.locator('#event-EconomicCheckHouseholdChanged');
    expect(await event.locator('table.fields').textContent()).toContain('member.idNumber');
    expect(await event.locator('pre').isVisible()).toBe(false);
    await event.locator('summary').click();
    expect(await event.locator('pre').textContent()).toContain('"change": "MARRIAGE"');
    // The payload table fits its card: no field runs off the page.
    const fits = await event
      .locator('table.fields')
      .evaluate((t: { scrollWidth: number; parentElement: { clientWidth: number } | null }) => t.scrollWidth <= (t.parentElement?.clientWidth ?? 0) + 1);
    expect(fits).toBe(true);

    expect(problems).toEqual([]);
    await page.close();
  });
});
