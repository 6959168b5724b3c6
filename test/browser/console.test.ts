import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { TongbanError } from '@tongban/errors';
import { createConnection } from 'mysql2/promise';
import { ADMIN_TOKEN, startTestReceiver } from '../partners/partner-support';
import { example } from '../support/examples';
import { getCase, MYSQL, post } from '../support/test-stack';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { api, exampleEvent, OpsTestStack, parkEvent, residentId, startOpsStack, TOKENS } from '../ops/ops-support';

const CHROMIUM = process.env.TONGBAN_CHROMIUM ?? '/usr/bin/chromium';
// The committed screenshot is refreshed on request (or when missing), so a test run leaves the checkout clean.
const DOCS_SCREENSHOT = join(__dirname, '../../docs/ops-console.png');
const SCREENSHOT = process.env.TONGBAN_UPDATE_SCREENSHOT === '1' || !existsSync(DOCS_SCREENSHOT) ? DOCS_SCREENSHOT : join(tmpdir(), 'tongban-ops-console.png');
const DOCS_BULK_SCREENSHOT = join(__dirname, '../../docs/ops-console-bulk-cancel.png');
const BULK_SCREENSHOT =
  process.env.TONGBAN_UPDATE_SCREENSHOT === '1' || !existsSync(DOCS_BULK_SCREENSHOT)
    ? DOCS_BULK_SCREENSHOT
    : join(tmpdir(), 'tongban-ops-console-bulk-cancel.png');

/** The committed screenshot of a name, or a temporary file when it exists and no refresh was asked for. */
function screenshotPath(name: string): string {
  const docs = join(__dirname, `../../docs/${name}.png`);
  return process.env.TONGBAN_UPDATE_SCREENSHOT === '1' || !existsSync(docs) ? docs : join(tmpdir(), `tongban-${name}.png`);
}

describe('ops web console in headless chromium', () => {
  let t: OpsTestStack;
  let browser: Browser;
  const receivers: Array<Awaited<ReturnType<typeof startTestReceiver>>> = [];

  /**
   * A new page of the console signed in with `token` (its user's name shown as `who`), page errors collected;
   * `before` adds listeners (dialogs, requests) before the page loads.
   */
  const signedIn = async (token: string, who: string, height = 900, before?: (page: Page) => void): Promise<{ page: Page; errors: string[] }> => {
    const page = await browser.newPage({ viewport: { width: 1400, height } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    before?.(page);
    await page.goto(t.url);
    await page.fill('#token', token);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector(`#who:has-text("${who}")`);
    return { page, errors };
  };

  beforeAll(async () => {
    // A delivery service that gives up after 3 s, so a webhook to a receiver that is down parks quickly; every
    // partition with a record not yet committed counts as behind, so a stopped group shows at once.
    t = await startOpsStack(
      { TONGBAN_ADMIN_TOKEN: ADMIN_TOKEN },
      {
        delivery: {
          TONGBAN_DELIVERY_RETRY_WINDOW_SECONDS: '3',
          TONGBAN_DELIVERY_BACKOFF_INITIAL_MS: '100',
          TONGBAN_DELIVERY_BACKOFF_MAX_MS: '400',
          TONGBAN_DELIVERY_TIMEOUT_MS: '700',
        },
        opsEnv: { TONGBAN_OPS_CONSUMER_LAG_MAX_MESSAGES: '0' },
      },
    );
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
    for (const r of receivers) await r.close();
    await t?.stop();
  });

  it('signs in, shows a masked dead letter, replays it and the case reaches the node', async () => {
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId());
    await parkEvent(t, '500000', event, new TongbanError('STORE_UNAVAILABLE', 'the case store did not answer in 5000 ms'));
    await parkEvent(
      t,
      '510000',
      exampleEvent('MarriageRegistrationRequested', uniqueId()),
      new TongbanError('NO_HANDLER', 'this node has no handler for MarriageRegistrationRequested'),
    );
    await waitFor(async () => ((await api(t, 'GET', '/v1/dlq?state=parked', TOKENS.viewer)).body.total >= 2 ? true : undefined), 'two parked letters');

    // Tall enough for the masked applicant below the counts and the filters.
    const { page, errors } = await signedIn(TOKENS.operator, 'olga', 1250);

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

    const { page, errors } = await signedIn(TOKENS.operator, 'olga');
    await page.selectOption('select[name=region]', '500000');
    await page.fill('input[name=errorCode]', code);
    await page.click('form button[type=submit]:has-text("Search")');
    await page.locator('#rows tr', { hasText: events[0].envelope.caseId }).waitFor();

    await page.click('#bulk-open');
    await page.fill('#bulk-rate', '1');
    await page.click('#bulk-start');
    await page.waitForSelector('#bulk-preview-title:has-text("5 letters will be replayed at 1/s")');
    await page.click('#bulk-confirm');
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

  it('narrows the list from the counts strip, finds a person by ID number, and discards the selected rows with a reason', async () => {
    const u = uniqueId().toUpperCase();
    const code = `TRIAGE_${u}`;
    const idNumber = residentId();
    const mine = exampleEvent('SubsidyApplicationSubmitted', uniqueId(), (p) => {
      (p.applicant as Record<string, string>).idNumber = idNumber;
    });
    const others = [exampleEvent('SubsidyApplicationSubmitted', uniqueId()), exampleEvent('SubsidyApplicationSubmitted', uniqueId())];
    for (const e of [mine, ...others]) await parkEvent(t, '500000', e, new TongbanError(code, `the subsidy ledger refused batch ${u}`));
    await waitFor(async () => ((await api(t, 'GET', `/v1/dlq?errorCode=${code}`, TOKENS.viewer)).body.total === 3 ? true : undefined), 'three parked letters');

    const posts: string[] = [];
    const { page, errors } = await signedIn(TOKENS.operator, 'olga', 1000, (p) => {
      p.on('dialog', (d) => void d.accept());
      p.on('request', (r) => posts.push(`${r.method()} ${r.url()}`));
    });

    // A click on the error code's count sets the filter and lists just those letters.
    const chip = page.locator(`#counts button.chip[data-field=errorCode][data-value="${code}"]`);
    await chip.waitFor();
    expect(await chip.textContent()).toBe(`${code}3`);
    await chip.click();
    await page.waitForSelector('#count:has-text("3 in total")');
    expect(await page.inputValue('input[name=errorCode]')).toBe(code);
    await page.waitForSelector('#counts-note:has-text("3 条")');
    expect(await page.textContent('#counts [data-dim=workflow]')).toBe('disability-subsidy3');
    // The age bucket sets the time window; all three are under an hour old.
    await page.click('#counts button.chip[data-field=age][data-value="<1h"]');
    await page.waitForSelector('#count:has-text("3 in total")');
    expect(await page.inputValue('input[name=from]')).not.toBe('');
    // Free text on the reason.
    await page.fill('input[name=q]', `batch ${u}`);
    await page.click('form button[type=submit]:has-text("Search")');
    await page.waitForSelector('#count:has-text("3 in total")');

    // A person by ID number: one letter, the number posted in a body and gone from the page.
    await page.fill('#person-id', idNumber);
    await page.click('#person-search');
    await page.waitForSelector('#person-status:has-text("1 条")');
    await page.waitForSelector('#count:has-text("1 in total")');
    expect(await page.locator('#rows tr').count()).toBe(1);
    expect(await page.textContent('#rows')).toContain(mine.envelope.caseId);
    expect(await page.inputValue('#person-id')).toBe('');
    expect(posts.some((r) => r.includes(idNumber))).toBe(false);
    expect(posts).toContain(`POST ${t.url}/v1/dlq:search`);
    // The counts strip narrows to the person too, asked by POST as well.
    await page.waitForSelector('#counts-note:has-text("1 条")');
    expect(await page.textContent('#counts [data-dim=workflow]')).toBe('disability-subsidy1');
    expect(posts).toContain(`POST ${t.url}/v1/dlq/counts:search`);
    await page.click('#person-clear');
    await page.waitForSelector('#count:has-text("3 in total")');
    await page.waitForSelector('#counts-note:has-text("3 条")');

    // Select the page, leave the person's letter out, discard the other two with a reason.
    await page.check('#pick-all');
    await page.waitForSelector('#selection-count:has-text("3 selected")');
    await page.locator('#rows tr', { hasText: mine.envelope.caseId }).locator('input.pick').uncheck();
    await page.waitForSelector('#selection-count:has-text("2 selected")');
    await page.fill('#bulk-discard-reason', 'duplicates from the ledger test batch');
    await page.screenshot({ path: screenshotPath('ops-console-triage'), fullPage: false });
    await page.click('#bulk-discard');
    await page.waitForSelector('#selection-msg:has-text("2 discarded")');
    expect(await page.isHidden('#selection')).toBe(true);
    const discarded = (await api(t, 'GET', `/v1/dlq?errorCode=${code}&state=discarded`, TOKENS.viewer)).body.items
      .map((i: { caseId: string }) => i.caseId)
      .sort();
    expect(discarded).toEqual(others.map((e) => e.envelope.caseId).sort());
    expect((await api(t, 'GET', `/v1/dlq?errorCode=${code}&state=parked`, TOKENS.viewer)).body.items.map((i: { caseId: string }) => i.caseId)).toEqual([
      mine.envelope.caseId,
    ]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps "select all" on for the rows "More" adds', async () => {
    const code = `PAGES_${uniqueId()}`.toUpperCase();
    // One more than the console's page of 25.
    for (let i = 0; i < 26; i++)
      await parkEvent(t, '500000', exampleEvent('SubsidyApplicationSubmitted', uniqueId()), new TongbanError(code, 'the ledger was down'));
    await waitFor(async () => ((await api(t, 'GET', `/v1/dlq?errorCode=${code}`, TOKENS.viewer)).body.total === 26 ? true : undefined), '26 parked letters');

    const { page, errors } = await signedIn(TOKENS.operator, 'olga');
    await page.fill('input[name=errorCode]', code);
    await page.click('form button[type=submit]:has-text("Search")');
    await page.waitForSelector('#count:has-text("26 in total")');
    expect(await page.locator('#rows tr').count()).toBe(25);
    await page.check('#pick-all');
    await page.waitForSelector('#selection-count:has-text("25 selected")');
    await page.click('#more');
    await page.waitForSelector('#rows tr:nth-child(26)');
    await page.waitForSelector('#selection-count:has-text("26 selected")');
    expect(await page.locator('#rows input.pick:checked').count()).toBe(26);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows how many letters and which before a bulk replay, and replays them on confirmation', async () => {
    const code = `PREVIEW_${uniqueId()}`.toUpperCase();
    const events = [exampleEvent('SubsidyApplicationSubmitted', uniqueId()), exampleEvent('SubsidyApplicationSubmitted', uniqueId())];
    for (const e of events) await parkEvent(t, '500000', e, new TongbanError(code, 'the case store did not answer'));
    await waitFor(async () => ((await api(t, 'GET', `/v1/dlq?errorCode=${code}`, TOKENS.viewer)).body.total === 2 ? true : undefined), 'two parked letters');

    const { page, errors } = await signedIn(TOKENS.operator, 'olga');
    await page.fill('input[name=errorCode]', code);
    await page.click('form button[type=submit]:has-text("Search")');
    await page.waitForSelector('#count:has-text("2 in total")');

    await page.click('#bulk-open');
    await page.fill('#bulk-rate', '5');
    await page.click('#bulk-start');
    await page.waitForSelector('#bulk-preview-title:has-text("2 letters will be replayed at 5/s")');
    const sample = await page.locator('#bulk-preview-rows tr').allTextContents();
    expect(sample).toHaveLength(2);
    for (const e of events) expect(sample.join(' ')).toContain(e.envelope.caseId);
    await page.screenshot({ path: screenshotPath('ops-console-bulk-preview'), fullPage: false });
    // Nothing is replayed before the confirmation.
    expect((await api(t, 'GET', `/v1/dlq?errorCode=${code}&state=parked`, TOKENS.viewer)).body.total).toBe(2);
    await page.click('#bulk-confirm');
    await page.waitForSelector('#bulk-status:has-text("finished")', { timeout: 60_000 });
    expect(await page.textContent('#bulk-status')).toContain('2/2');
    expect((await api(t, 'GET', `/v1/dlq?errorCode=${code}&state=replayed`, TOKENS.viewer)).body.total).toBe(2);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the diff of a corrected event before it is replayed, and replays it on confirmation', async () => {
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId(), (p) => {
      (p.applicant as Record<string, string>).idNumber = '500111196804170023';
    });
    await parkEvent(t, '500000', event, new TongbanError('VALIDATION_FAILED', 'check character is 3, expected 2'));
    await waitFor(
      async () => ((await api(t, 'GET', `/v1/dlq?eventId=${event.envelope.eventId}`, TOKENS.viewer)).body.total === 1 ? true : undefined),
      'the letter parked',
    );

    const { page, errors } = await signedIn(TOKENS.admin, 'alice', 1100, (p) => {
      p.on('dialog', (d) => void d.accept('correcting a check character'));
    });
    await page.fill('input[name=eventId]', event.envelope.eventId);
    await page.click('form button[type=submit]:has-text("Search")');
    await page.locator('#rows tr', { hasText: event.envelope.caseId }).click();
    // The clear values are what a correction starts from (an audited view).
    await page.click('#act-clear');
    await page.waitForSelector('#detail:has-text("clear view")');
    await page.click('#act-edit');
    await page.$eval('#edit-json', (el) => {
      const area = el as unknown as { value: string };
      area.value = area.value.replace('"500111196804170023"', '"500111196804170022"');
    });
    await page.click('#edit-send');
    await page.waitForSelector('#edit-diff');
    expect(await page.textContent('#edit-diff-title')).toContain('1 change(s)');
    const diff = await page.locator('#edit-diff tbody tr').allTextContents();
    expect(diff).toEqual(['applicant.idNumber"500111196804170023""500111196804170022"']);
    expect(await page.textContent('#edit-review')).toContain('1 field(s) change: applicant.idNumber');
    await page.locator('#edit-review').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('ops-console-edit-diff'), fullPage: false });
    // Reviewing sent nothing.
    expect((await api(t, 'GET', `/v1/dlq?eventId=${event.envelope.eventId}&state=parked`, TOKENS.viewer)).body.total).toBe(1);
    await page.click('#edit-confirm');
    await page.waitForSelector('#detail-state:has-text("replayed")');
    expect(await page.textContent('#act-msg')).toContain('Replayed the corrected copy');
    await waitFor(
      async () => ((await getCase(t.stack, event.envelope.caseId, 'dev-dazu')).status === 200 ? true : undefined),
      'the corrected case at the node',
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it("lists the nodes' holds in a tab and drops a parked blocker with a reason", async () => {
    const key = `SUB-HOLD-${uniqueId()}`;
    const inbox = t.stack.inbox('500000');
    const conn = await createConnection({ ...MYSQL, database: t.stack.databases.nodes['500000'], timezone: 'Z' });
    try {
      await conn.query(
        `INSERT INTO held_cases (case_key, status, blocker_ref, blocker_event_id, blocker_topic, blocker_partition, blocker_offset, blocker_headers, forward_topic, forward_headers, error_code, error_message, opened_at, updated_at)
         VALUES (?, 'parked', ?, NULL, ?, 0, 7, '{}', ?, '{}', 'STORE_UNAVAILABLE', 'down', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
        [key, `${inbox}/0/7`, inbox, `${inbox}.dlq`],
      );
    } finally {
      await conn.end();
    }

    const { page, errors } = await signedIn(TOKENS.operator, 'olga', 900, (p) => {
      p.on('dialog', (d) => void d.accept('the municipal system sent it twice'));
    });
    await page.click('nav button[data-tab="holds"]');
    const row = page.locator('#holds-rows tr', { hasText: key });
    await row.waitFor();
    expect(await row.textContent()).toContain('STORE_UNAVAILABLE');
    expect(await page.textContent('#holds-nodes')).toMatch(/500000: \d+/);
    await row.locator('button[data-resolution=discarded]').click();
    await page.waitForSelector(`#holds-msg:has-text("${key}")`);
    expect(await page.textContent('#holds-msg')).not.toContain('HOLD.');
    const audit = (await api(t, 'GET', '/v1/audit?action=hold.release', TOKENS.operator)).body.entries;
    expect(audit).toContainEqual(
      expect.objectContaining({
        actor: 'olga',
        details: expect.objectContaining({ caseKey: key, resolution: 'discarded', reason: 'the municipal system sent it twice' }),
      }),
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lists a parked webhook delivery with its partner and redelivers it from the page after a confirmation', async () => {
    // A partner system whose receiver is down: its delivery is parked after the 3 s retry window.
    let secret = '';
    let down = true;
    const receiver = await startTestReceiver(() => secret);
    receivers.push(receiver);
    receiver.state.behave = () => (down ? { fail: 503 } : {});
    const partner = `dazu-minzheng-${t.stack.id}`;
    const issued = await fetch(`${t.stack.gatewayUrl}/v1/admin/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ systemName: partner, division: '500111' }),
    });
    expect(issued.status).toBe(201);
    const { key } = (await issued.json()) as { key: string };
    const subscribed = await fetch(`${t.delivery!.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ url: receiver.url, eventTypes: ['EconomicCheckRequested'], region: '500111' }),
    });
    expect(subscribed.status).toBe(201);
    secret = ((await subscribed.json()) as { secret: string }).secret;
    const body = example('EconomicCheckRequested', `${t.stack.id}-webhook`);
    body.occurredAt = new Date().toISOString();
    const sent = await post(t.stack, body, 'dev-chengdu');
    expect(sent.status).toBe(202);
    const eventId = sent.body.eventId as string;
    const parked = await waitFor(
      async () => {
        const r = await api(t, 'GET', '/v1/deliveries?state=parked', TOKENS.viewer);
        return (r.body.deliveries as Array<{ deliveryId: string; eventId: string; partner: string }> | undefined)?.find((d) => d.eventId === eventId);
      },
      'the delivery parked, as ops lists it',
      30_000,
      200,
    );
    expect(parked.partner).toBe(partner);
    // A viewer sees it but may not redeliver.
    expect((await api(t, 'POST', `/v1/deliveries/${parked.deliveryId}/redeliver`, TOKENS.viewer, {})).status).toBe(403);

    const asked: string[] = [];
    const { page, errors } = await signedIn(TOKENS.operator, 'olga', 700, (p) => {
      p.on('request', (r) => asked.push(r.url()));
    });
    await page.click('nav button[data-tab="deliveries"]');
    const row = page.locator(`#deliveries-rows tr[data-id="${parked.deliveryId}"]`);
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    expect(text).toContain(partner);
    expect(text).toContain('EconomicCheckRequested');
    expect(text).toContain(body.caseId);
    expect(text).toContain('HTTP 503');
    expect(Number(await row.locator('td.num').textContent())).toBeGreaterThan(1);
    expect(await row.locator('td.nowrap').first().textContent()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    // Nothing is sent before the confirmation, which names the delivery and its partner.
    await row.locator('button.redeliver').click();
    await page.waitForSelector(`#redeliver-question:has-text("Redeliver #${parked.deliveryId} to ${partner}")`);
    await page.fill('#redeliver-reason', 'the partner restarted its receiver');
    await page.screenshot({ path: screenshotPath('ops-console-webhooks'), fullPage: false });
    expect((await api(t, 'GET', `/v1/deliveries?state=parked&caseId=${encodeURIComponent(body.caseId)}`, TOKENS.viewer)).body.deliveries).toHaveLength(1);
    down = false;
    await page.click('#redeliver-confirm');
    await page.waitForSelector(`#deliveries-msg:has-text("#${parked.deliveryId}")`);
    expect(await page.textContent('#deliveries-msg')).toContain('queued again');
    await waitFor(async () => (receiver.applied.some((e) => e.eventId === eventId) ? true : undefined), 'the redelivery at the partner');
    const audit = (await api(t, 'GET', '/v1/audit?action=delivery.redeliver', TOKENS.operator)).body.entries;
    expect(audit).toContainEqual(
      expect.objectContaining({
        actor: 'olga',
        subject: expect.objectContaining({ cases: [body.caseId], messages: [eventId] }),
        details: expect.objectContaining({ deliveryId: parked.deliveryId, eventType: 'EconomicCheckRequested', reason: 'the partner restarted its receiver' }),
      }),
    );
    // The page spoke to ops alone: the delivery service's address (and so its token) never reached the browser.
    expect(asked.filter((u) => !u.startsWith(t.url))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the outbox backlog per database and the consumer lag per group and partition, a stopped group in red', async () => {
    // Records in Chongqing's inbox, then a group of the namespace that read none of them and has no consumer left.
    const submitted = example('SubsidyApplicationSubmitted', `${t.stack.id}-pipeline`);
    const sent = await post(t.stack, submitted, 'dev-chengdu');
    expect(sent.status).toBe(202);
    // Once the node has the case, its record is in the inbox and nothing more arrives there.
    await waitFor(async () => ((await getCase(t.stack, submitted.caseId, 'dev-dazu')).status === 200 ? true : undefined), 'the case at the node');
    const inbox = t.stack.inbox('500000');
    const stalled = `${t.stack.namespace}.stalled-reader`;
    const admin = t.stack.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(inbox);
      const filled = ends.find((p) => Number(p.high) > Number(p.low))!;
      // Stopped on one partition before its records; read to the end of the others (which count from their start otherwise).
      await admin.setOffsets({
        groupId: stalled,
        topic: inbox,
        partitions: ends.map((p) => ({ partition: p.partition, offset: p === filled ? p.low : p.high })),
      });
      // What the stalled group has committed: the filled partition's start, every other partition's end.
      const committed = new Map(ends.map((p) => [p.partition, Number(p === filled ? p.low : p.high)]));
      const waitingNow = async () => {
        const now = await admin.fetchTopicOffsets(inbox);
        return now.map((p) => ({ partition: p.partition, lag: Number(p.high) - committed.get(p.partition)! })).sort((a, b) => a.partition - b.partition);
      };

      const { page, errors } = await signedIn(TOKENS.viewer, 'victor');
      await page.click('nav button[data-tab="pipeline"]');
      for (const database of [t.stack.databases.gateway, ...Object.values(t.stack.databases.nodes)]) {
        await page.waitForSelector(`#outbox-rows tr[data-database="${database}"]`);
        expect(await page.locator(`#outbox-rows tr[data-database="${database}"] td.num`).first().textContent()).toMatch(/^\d+$/);
      }
      await page.waitForSelector(`#lag-rows tr[data-group="${t.stack.namespace}.region-node.500000"][data-topic="${inbox}"]`);
      const row = page.locator(`#lag-rows tr[data-group="${stalled}"]`);
      await row.waitFor();
      // A record of an earlier test may still reach the inbox while the page reads it: take a refresh of the page
      // across which the topic held still, and compare the page with that reading.
      const steady = async () => {
        const before = await waitingNow();
        await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/pipeline' && r.ok()), page.click('#pipeline-refresh')]);
        const after = await waitingNow();
        return JSON.stringify(before) === JSON.stringify(after) ? after : undefined;
      };
      const expected = await waitFor(steady, 'a reading of the inbox that held still across a refresh');
      const waiting = expected.reduce((sum, p) => sum + p.lag, 0);
      expect(expected.find((p) => p.partition === filled.partition)!.lag).toBeGreaterThanOrEqual(Number(filled.high) - Number(filled.low));
      await page.locator(`#lag-rows tr[data-group="${stalled}"]:has-text("no consumer in the group and ${waiting} records waiting")`).waitFor();
      expect(await row.getAttribute('class')).toContain('behind');
      expect(await row.textContent()).toContain(`no consumer in the group and ${waiting} records waiting`);
      expect(await row.locator('.parts span.over').allTextContents()).toEqual(expected.filter((p) => p.lag > 0).map((p) => `${p.partition}:${p.lag}`));
      expect(await page.textContent('#lag-limit')).toContain('over 0 records');
      expect(Number(await page.textContent('#pipeline-badge'))).toBeGreaterThanOrEqual(1);
      await page.screenshot({ path: screenshotPath('ops-console-pipeline'), fullPage: false });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await admin.deleteGroups([stalled]).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
