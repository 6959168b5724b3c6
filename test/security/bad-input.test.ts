import { startOpsWithDelivery, TestDelivery } from '../partners/partner-support';
import { example } from '../support/examples';
import { internalHeaders } from '../support/internal-api';
import { post } from '../support/test-stack';
import { OpsTestStack, TOKENS } from '../ops/ops-support';
import { bearer, call, nodeUrl } from './security-support';

const FIVE_MB = JSON.stringify({ eventType: 'SubsidyApplicationSubmitted', padding: 'x'.repeat(5 * 1024 * 1024) });

/** What a new user tried first: a 5 MB body and a 100,000-character name. Each gets a 4xx with a problem body. */
describe('attack: oversized and malformed input', () => {
  let t: OpsTestStack;
  let delivery: TestDelivery;
  beforeAll(async () => ({ t, delivery } = await startOpsWithDelivery()));
  afterAll(async () => {
    await delivery?.stop();
    await t?.stop();
  });

  it('a 5 MB body gets 413 with a problem body from the gateway, ops, delivery and the region node', async () => {
    const targets: Array<[string, Record<string, string>]> = [
      [`${t.stack.gatewayUrl}/v1/events`, bearer('dev-chengdu')],
      [`${t.url}/v1/dlq/replay-jobs`, bearer(TOKENS.operator)],
      [`${delivery.url}/v1/subscriptions`, bearer('dev-dazu')],
      [`${nodeUrl(t.stack, '510000')}/internal/cases/search`, internalHeaders(t.stack, 'test', { 'x-tongban-viewer-division': '510100' })],
    ];
    for (const [url, headers] of targets) {
      const r = await call(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: FIVE_MB });
      expect([url, r.status, r.body.error?.code]).toEqual([url, 413, 'PAYLOAD_TOO_LARGE']);
    }
  });

  it('a 5 MB body gets 413 from the schema registry, even with the admin’s credentials', async () => {
    const { username, password } = t.stack.registryAuth;
    const r = await call(`${t.stack.registryUrl}/subjects/demo.Big/versions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/vnd.schemaregistry.v1+json',
        authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
      },
      body: JSON.stringify({ schema: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect(r.status).toBe(413);
  });

  it('a 100,000-character name gets 400 naming the field and its limit', async () => {
    const body = example('SubsidyApplicationSubmitted', `${t.stack.id}-long`);
    (body.payload.applicant as { name: string }).name = '李'.repeat(100_000);
    const r = await post(t.stack, body, 'dev-chengdu');
    expect(r.status).toBe(400);
    expect((r.body.error as { details: unknown[] }).details).toEqual([
      { path: 'payload.applicant.name', problem: 'must be at most 50 characters, got 100000' },
    ]);
    const reason = example('SubsidyApplicationWithdrawn', `${t.stack.id}-long`);
    reason.payload.reasonText = 'x'.repeat(1001);
    expect(JSON.stringify((await post(t.stack, reason, 'dev-chengdu')).body)).toContain('payload.reasonText');
  });

  it('an over-long or garbled X-Correlation-Id gets 400 before anything is stored', async () => {
    for (const id of ['c'.repeat(129), 'line\tbreak', 'a"b<script>']) {
      const r = await post(t.stack, example('SubsidyApplicationSubmitted', `${t.stack.id}-cid`), 'dev-chengdu', { 'x-correlation-id': id });
      expect([id, r.status, (r.body.error as { details: Array<{ path: string }> }).details[0].path]).toEqual([id, 400, 'X-Correlation-Id']);
    }
    expect((await post(t.stack, example('SubsidyApplicationSubmitted', `${t.stack.id}-cid`), 'dev-chengdu', { 'x-correlation-id': 'ok-123' })).status).toBe(
      202,
    );
  });

  it('an over-long URL gets 400 and a body that is not JSON gets 400, on the gateway and ops', async () => {
    const long = await call(`${t.stack.gatewayUrl}/v1/cases/${'X'.repeat(5000)}`, { headers: bearer('dev-chengdu') });
    expect([long.status, long.body.error?.details?.[0]?.path]).toEqual([400, 'url']);
    const opsLong = await call(`${t.url}/v1/dlq?caseId=${'X'.repeat(5000)}`, { headers: bearer(TOKENS.viewer) });
    expect(opsLong.status).toBe(400);
    const garbled = await call(`${t.stack.gatewayUrl}/v1/events`, {
      method: 'POST',
      headers: bearer('dev-chengdu', { 'content-type': 'application/json' }),
      body: '{"eventType": ',
    });
    expect([garbled.status, garbled.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
