import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { TongbanError } from '@tongban/errors';
import { getCase } from '../support/test-stack';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { api, exampleEvent, OpsTestStack, parkEvent, startOpsStack, TOKENS } from '../ops/ops-support';

const CHROMIUM = process.env.TONGBAN_CHROMIUM ?? '/usr/bin/chromium';
// The committed screenshot is refreshed on request (or when missing), so a test run leaves the checkout clean.
const DOCS_SCREENSHOT = join(__dirname, '../../docs/ops-console.png');
const SCREENSHOT = process.env.TONGBAN_UPDATE_SCREENSHOT === '1' || !existsSync(DOCS_SCREENSHOT) ? DOCS_SCREENSHOT : join(tmpdir(), 'tongban-ops-console.png');
const DOCS_BULK_SCREENSHOT = join(__dirname, '../../docs/ops-console-bulk-cancel.png');
const BULK_SCREENSHOT =
  process.env.TONGBAN_UPDATE_SCREENSHOT === '1' || !existsSync(DOCS_BULK_SCREENSHOT) ? DOCS_BULK_SCREENSHOT : join(tmpdir(), 'tongban-ops-console-bulk-cancel.png');

describe('ops web console in headless chromium', () => {
  let t: OpsTestStack;
  let browser: Browser;

  beforeAll(async () => {
    t = await startOpsStack();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('signs in, shows a masked dead letter, replays it and the case reaches the node', async () => {
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId());
    await parkEvent(t, '500000', event, new TongbanError('STORE_UNAVAILABLE', 'the case store did not answer in 5000 ms'));
    await parkEvent(t, '510000', exampleEvent('MarriageRegistrationRequested', uniqueId()), new TongbanError('NO_HANDLER', 'this node has no handler for MarriageRegistrationRequested'));
    await waitFor(async () => ((await api(t, 'GET', '/v1/dlq?state=parked', TOKENS.viewer)).body.total >= 2 ? true : undefined), 'two parked letters');

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(t.url);
    await page.fill('#token', TOKENS.operator);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#who:has-text("olga")');

    const row = page.locator('#rows tr', { hasText: event.envelope.caseId });
    await row.waitFor();
    await row.click();
    await page.waitForSelector('#payload');
    const payload = await page.textContent('#payload');
    expect(payload).toContain('500111********0022');
    expect(payload).toContain('李*');
    expect(payload).not.toContain('500111196804170022');
    expect(await page.textContent('#detail')).toContain('STORE_UNAVAILABLE');
    await page.screenshot({ path: SCREENSHOT, fullPage: false });

    await page.click('#act-replay');
    await page.waitForSelector('#detail-state:has-text("replayed")');
    expect(await page.textContent('#act-msg')).toMatch(/Replayed to .*not applied before/);
    await waitFor(async () => ((await getCase(t.stack, event.envelope.caseId, 'dev-dazu')).status === 200 ? true : undefined), 'the case at the node');

    await page.click('nav button[data-tab="audit"]');
    await page.waitForSelector('#audit-rows tr:has-text("dlq.replay")');
    expect(await page.locator('#audit-verify').isDisabled()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('starts a bulk replay at one letter a second, cancels it from the page, and shows what was skipped', async () => {
    // Letters of their own error code, so the bulk filter takes these and nothing the first test left.
    const code = 'NO_HANDLER';
    const events = Array.from({ length: 5 }, () => exampleEvent('SubsidyApplicationSubmitted', uniqueId()));
    for (const e of events) await parkEvent(t, '500000', e, new TongbanError(code, 'this node has no handler for SubsidyApplicationSubmitted'));
    await waitFor(
      async () => ((await api(t, 'GET', `/v1/dlq?state=parked&region=500000&errorCode=${code}`, TOKENS.viewer)).body.total >= 5 ? true : undefined),
      'five parked letters',
    );

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(t.url);
    await page.fill('#token', TOKENS.operator);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#who:has-text("olga")');
    await page.selectOption('select[name=region]', '500000');
    await page.fill('input[name=errorCode]', code);
    await page.click('form button[type=submit]:has-text("Search")');
    await page.locator('#rows tr', { hasText: events[0].envelope.caseId }).waitFor();

    await page.click('#bulk-open');
    await page.fill('#bulk-rate', '1');
    await page.click('#bulk-start');
    await page.waitForSelector('#bulk-cancel:not(.hidden)');
    await page.waitForSelector('#bulk-status:has-text("1/")');
    await page.click('#bulk-cancel');
    await page.waitForSelector('#bulk-status:has-text("cancelled")', { timeout: 60_000 });
    const status = (await page.textContent('#bulk-status')) ?? '';
    const skipped = Number(/skipped (\d+)/.exec(status)?.[1]);
    expect(skipped).toBeGreaterThan(0);
    expect(await page.locator('#bulk-cancel').isHidden()).toBe(true);
    await page.screenshot({ path: BULK_SCREENSHOT, fullPage: false });

    // What the page said is what ops keeps: the letters not sent are still parked.
    const parked = (await api(t, 'GET', `/v1/dlq?state=parked&region=500000&errorCode=${code}`, TOKENS.viewer)).body.total;
    expect(parked).toBeGreaterThanOrEqual(skipped);
    expect(errors).toEqual([]);
    await page.close();
  });
});
