import { Queue } from 'bullmq';
import { covers } from '@tongban/regions';
import { example } from '../support/examples';
import { post, queryRows, startTestStack, TestStack } from '../support/test-stack';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';

const REDIS = { host: '127.0.0.1', port: 6379 };

/**
 * Redis unreachable for the gateway and the nodes (a proxy in front of the real server is cut): the
 * nodes apply events without waiting for it, the gateway keeps its rate limit per process, and when
 * Redis is back the deadlines are scheduled from MySQL by the reconciliation.
 */
describe('Redis down', () => {
  let proxy: TcpProxy;
  let stack: TestStack;
  const accepted: Array<{ eventId: string; caseId: string; at: number }> = [];

  beforeAll(async () => {
    proxy = await new TcpProxy(REDIS).start();
    stack = await startTestStack({
      env: {
        TONGBAN_REDIS_PORT: String(proxy.port),
        TONGBAN_TIMER_RECONCILE_MS: '1000',
        TONGBAN_RATE_LIMIT_BOOTSTRAP_KEYS: 'true',
        TONGBAN_RATE_LIMIT_PER_SECOND: '1',
        TONGBAN_RATE_LIMIT_BURST: '4',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await proxy?.stop();
  });

  it('the gateway limits per process and the nodes apply events at once', async () => {
    await proxy.cut();
    const bodies = Array.from({ length: 8 }, (_, i) => example('SubsidyApplicationSubmitted', `${stack.id}-${i}`));
    const answers = await Promise.all(bodies.map((body) => post(stack, body, 'dev-chengdu')));
    answers.forEach((r, i) => r.status === 202 && accepted.push({ eventId: r.body.eventId as string, caseId: bodies[i].caseId, at: Date.now() }));
    // The burst of 4, then 429 with Retry-After: the limit holds without Redis, kept by this gateway alone.
    expect(answers.map((r) => r.status).sort()).toEqual([202, 202, 202, 202, 429, 429, 429, 429]);
    for (const r of answers.filter((a) => a.status === 429)) expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    const started = Date.now();
    for (const region of ['500000', '510000']) {
      await waitFor(
        async () => {
          const rows = await queryRows<{ n: number }>(stack.databases.nodes[region], 'SELECT COUNT(*) AS n FROM case_events WHERE event_id IN (?)', [
            accepted.map((a) => a.eventId),
          ]);
          return Number(rows[0].n) === accepted.length ? true : undefined;
        },
        `the events applied at ${region} while Redis is down`,
        30_000,
        200,
      );
    }
    // Each event schedules a deadline; BullMQ waiting for Redis took minutes per event before.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('schedules the deadlines from MySQL once Redis is back', async () => {
    await proxy.restore();
    let scheduledSomewhere = 0;
    for (const region of ['500000', '510000']) {
      const database = stack.databases.nodes[region];
      // Each node schedules the deadlines of the divisions it holds (see TimerReconciler).
      const open = (
        await queryRows<{ case_id: string; owner_division: string }>(database, 'SELECT case_id, owner_division FROM case_timers WHERE case_id IN (?)', [
          accepted.map((a) => a.caseId),
        ])
      ).filter((t) => covers(region, t.owner_division));
      scheduledSomewhere += open.length;
      if (open.length === 0) continue;
      const queue = new Queue(`deadlines-${region}`, { connection: REDIS, prefix: `${stack.namespace}:${database}` });
      try {
        // A deadline is in BullMQ, or it has fired already (past-due example dates) and left case_timers.
        await waitFor(
          async () => {
            const jobs = await queue.getJobs(['delayed', 'waiting', 'active', 'completed']);
            const scheduled = new Set(jobs.map((j) => (j.data as { caseId: string }).caseId));
            const still = new Set(
              (await queryRows<{ case_id: string }>(database, 'SELECT case_id FROM case_timers WHERE case_id IN (?)', [open.map((t) => t.case_id)])).map(
                (r) => r.case_id,
              ),
            );
            return open.every((t) => scheduled.has(t.case_id) || !still.has(t.case_id)) ? true : undefined;
          },
          `the deadlines of ${region} in BullMQ`,
          30_000,
          500,
        );
      } finally {
        await queue.close();
      }
    }
    expect(scheduledSomewhere).toBeGreaterThan(0);
    // And the gateway shares its limit through Redis again (a fresh second gives one more token per second).
    expect((await post(stack, example('SubsidyApplicationSubmitted', `${stack.id}-back`), 'dev-chengdu')).status).not.toBe(500);
  });
});
