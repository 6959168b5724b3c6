import type { AddressInfo } from 'node:net';
import { example } from '../support/examples';
import { post, startTestStack, TestStack } from '../support/test-stack';
import { waitFor } from '../support/wait';

describe('health and metrics a platform team can use as they are', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers liveness apart from readiness, each dependency named in readiness', async () => {
    const live = await fetch(`${stack.gatewayUrl}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${stack.gatewayUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { mysql: { status: 'up' }, kafka: { status: 'up' } } });
  });

  it('counts and times requests by route pattern and status, with Node’s default metrics under their usual names', async () => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-metrics`);
    expect((await post(stack, body, 'dev-chengdu')).status).toBe(202);
    expect((await post(stack, { ...body, caseId: '' }, 'dev-chengdu')).status).toBe(400);
    expect((await fetch(`${stack.gatewayUrl}/v1/cases/${encodeURIComponent(body.caseId)}`)).status).toBe(401);
    const text = await (await fetch(`${stack.gatewayUrl}/metrics`)).text();
    expect(text).toMatch(/^tongban_http_requests_total\{method="POST",route="\/v1\/events",status="202",service="gateway"\} 1$/m);
    expect(text).toMatch(/^tongban_http_requests_total\{method="POST",route="\/v1\/events",status="400",service="gateway"\} 1$/m);
    expect(text).toMatch(/^tongban_http_requests_total\{method="GET",route="\/v1\/cases\/:caseId",status="401",service="gateway"\} 1$/m);
    const bucket = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('tongban_http_request_duration_seconds_bucket{') &&
          l.includes('route="/v1/events"') &&
          l.includes('status="202"') &&
          l.includes('le="10"'),
      );
    expect(bucket).toMatch(/ 1$/);
    // No case id, and so no ID number or other personal data, becomes a label value.
    expect(text).not.toContain(body.caseId);
    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="gateway"\} /m);
    expect(text).toMatch(/^nodejs_heap_size_total_bytes\{service="gateway"\} /m);
  });

  it('shows each region node’s consumer lag per partition, read from the broker, back to zero once the event is applied', async () => {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-lag`);
    expect((await post(stack, body, 'dev-chengdu')).status).toBe(202);
    const node = stack.nodes.get('500000')!;
    const url = `http://127.0.0.1:${(node.app.getHttpServer().address() as AddressInfo).port}/metrics`;
    const inbox = stack.inbox('500000');
    const admin = stack.kafka.admin();
    await admin.connect();
    // The event is on the inbox (some partition has records) before the lag is read.
    const ends = await waitFor(
      async () => {
        const offsets = await admin.fetchTopicOffsets(inbox);
        return offsets.some((p) => Number(p.high) > 0) ? offsets : undefined;
      },
      'the event on the inbox',
      30_000,
      200,
    );
    await admin.disconnect();
    const partitions = ends.length;
    const lagOf = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('tongban_consumer_lag_messages{') && l.includes(`topic="${inbox}"`))
        .map((l) => Number(l.split(' ').at(-1)));
    // Every partition of the inbox has a line, and once the node has applied (and committed) the event, all are 0.
    const text = await waitFor(
      async () => {
        const t = await (await fetch(url)).text();
        const lags = lagOf(t);
        return lags.length === partitions && lags.every((n) => n === 0) ? t : undefined;
      },
      'the inbox lag back to 0 on every partition',
      30_000,
      500,
    );
    expect(text).toMatch(/^tongban_consumer_lag_up\{group="[^"]+",service="region-node",region="500000"\} 1$/m);
    // The node timed the event from its acceptance to applied, within the test's few seconds.
    const count = Number(/^tongban_apply_age_seconds_count\{service="region-node",region="500000"\} (\d+)$/m.exec(text)?.[1]);
    const sum = Number(/^tongban_apply_age_seconds_sum\{service="region-node",region="500000"\} ([\d.e+-]+)$/m.exec(text)?.[1]);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(sum / count).toBeLessThan(30);
    expect(text).toMatch(
      new RegExp(
        `^tongban_consumer_lag_messages\\{group="[^"]+",topic="${inbox.replace(/\./g, '\\.')}\\.retry\\.1",partition="0",service="region-node",region="500000"\\} 0$`,
        'm',
      ),
    );
  });
});
