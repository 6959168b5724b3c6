import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TongbanError } from '@tongban/errors';
import { createOpsApp, OpsApp } from '../../services/ops/src/app';
import { readOpsConfig } from '../../services/ops/src/ops.config';
import { ADMIN_TOKEN, startDelivery } from '../partners/partner-support';
import { queryRows, testLogger } from '../support/test-stack';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { api, exampleEvent, OpsTestStack, parkEvent, startOpsStack, TOKENS } from './ops-support';

const LAUNCHER = join(__dirname, '../../tools/cli/tongban.js');

/** Runs the real `tongban` launcher as a child process. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [LAUNCHER, ...args], { env: { ...process.env, ...env }, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('operator triage: cancelling a bulk replay, holds and deliveries, through ops and the CLI', () => {
  let t: OpsTestStack;
  /** A second ops process on the same database that runs no job of its own: a replica, or ops after a restart. */
  let replica: OpsApp;
  let replicaUrl: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await startOpsStack();
    env = { TONGBAN_OPS_URL: t.url, TONGBAN_OPS_TOKEN: TOKENS.operator };
    replica = await createOpsApp(readOpsConfig(t.env), testLogger('ops'));
    await replica.app.listen(0, '127.0.0.1');
    replicaUrl = `http://127.0.0.1:${(replica.app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await replica?.close();
    await t?.stop();
  });

  it('filters dead letters by the workflow names the nodes use, and refuses another name', async () => {
    const code = `WF_${uniqueId()}`.toUpperCase();
    await parkEvent(t, '500000', exampleEvent('SubsidyApplicationSubmitted', uniqueId()), new TongbanError(code, 'down'));
    // The name of the README's example, of the nodes' cases and of their tongban_events_dead_lettered_total{workflow}.
    const found = await waitFor(async () => {
      const r = await cli(['dlq', 'list', '--state', 'parked', '--workflow', 'disability-subsidy', '--error-code', code, '--json'], env);
      return r.code === 0 && JSON.parse(r.stdout).total === 1 ? JSON.parse(r.stdout) : undefined;
    }, 'the README example filter to find the letter');
    expect(found.items[0]).toMatchObject({ workflow: 'disability-subsidy', eventType: 'SubsidyApplicationSubmitted' });
    expect((await cli(['dlq', 'list', '--workflow', 'marriage-registration', '--error-code', code, '--json'], env)).stdout).toContain('"total": 0');
    // The contract namespace is not a workflow name: 400, naming the values that are.
    const refused = await cli(['dlq', 'list', '--workflow', 'subsidy'], env);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('workflow: must be one of disability-subsidy, marriage-registration, funeral-transfer, economic-check');
  });

  it('cancels a slow bulk replay from another ops process: it stops at the next letter, keeps what it did, skips the rest', async () => {
    const code = `CANCEL_${uniqueId()}`.toUpperCase();
    const total = 8;
    for (let i = 0; i < total; i++) await parkEvent(t, '500000', exampleEvent('SubsidyApplicationSubmitted', uniqueId()), new TongbanError(code, 'down'));
    await waitFor(async () => ((await api(t, 'GET', `/v1/dlq?errorCode=${code}`, TOKENS.viewer)).body.total === total ? true : undefined), `${total} parked`);

    // One letter a second, run by the first ops process.
    const started = await api(t, 'POST', '/v1/dlq/replay-jobs', TOKENS.operator, { filter: { errorCode: code }, ratePerSecond: 1, waitSeconds: 20 });
    expect(started.status).toBe(202);
    const jobId = started.body.id as string;
    await waitFor(
      async () => ((await api(t, 'GET', `/v1/dlq/replay-jobs/${jobId}`, TOKENS.viewer)).body.published >= 2 ? true : undefined),
      'two letters sent',
      20_000,
      100,
    );

    // A viewer may not cancel; an unknown job is 404; the replica, which runs nothing, takes the operator's cancel.
    expect((await api({ url: replicaUrl }, 'POST', `/v1/dlq/replay-jobs/${jobId}/cancel`, TOKENS.viewer, {})).status).toBe(403);
    const unknown = await api({ url: replicaUrl }, 'POST', `/v1/dlq/replay-jobs/${randomUUID()}/cancel`, TOKENS.operator, {});
    expect(unknown).toMatchObject({ status: 404, body: { code: 'OPS.REPLAY_JOB_NOT_FOUND' } });
    const asked = await api({ url: replicaUrl }, 'POST', `/v1/dlq/replay-jobs/${jobId}/cancel`, TOKENS.operator, { reason: 'wrong filter' });
    expect(asked).toMatchObject({ status: 202, body: { id: jobId, cancelRequested: { by: 'olga' } } });
    // The process running the job (the first one) stops it; the CLI, asking the replica, sees it cancelled.
    const job = await waitFor(
      async () => {
        const r = await cli(['replay-jobs', 'show', jobId, '--json', '--url', replicaUrl], env);
        const shown = r.code === 0 ? JSON.parse(r.stdout) : undefined;
        return shown?.state === 'cancelled' ? shown : undefined;
      },
      'the job cancelled',
      20_000,
      200,
    );
    expect(job).toMatchObject({ id: jobId, state: 'cancelled', total, cancelRequested: { by: 'olga' } });
    expect(job.published).toBeGreaterThanOrEqual(2);
    expect(job.published).toBeLessThan(total);
    const s = job.summary;
    expect(s.skipped).toBe(total - job.published);
    expect(s.applied + s.alreadyApplied + s.failedAgain + s.publishFailed + s.pending).toBe(job.published);
    expect(s.queued).toBe(0);

    // Per letter: the sent ones replayed with their outcome, the skipped ones still parked for a later replay.
    const shown = await cli(['replay-jobs', 'show', jobId, '--items', '--json'], env);
    const items = JSON.parse(shown.stdout).items as Array<{ deadLetterId: number; outcome: string }>;
    expect(items).toHaveLength(total);
    const skipped = items.filter((i) => i.outcome === 'skipped');
    expect(skipped).toHaveLength(total - job.published);
    expect(
      items
        .filter((i) => i.outcome !== 'skipped')
        .every((i) => ['applied', 'already-applied', 'pending', 'failed-again', 'publish-failed'].includes(i.outcome)),
    ).toBe(true);
    for (const item of items) {
      const letter = await api(t, 'GET', `/v1/dlq/${item.deadLetterId}`, TOKENS.viewer);
      expect(letter.body.state).toBe(item.outcome === 'skipped' ? 'parked' : 'replayed');
    }
    // Still cancelled a moment later: the process that ran it did not go on.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api(t, 'GET', `/v1/dlq/replay-jobs/${jobId}`, TOKENS.viewer)).body).toMatchObject({ state: 'cancelled', published: job.published });

    // An ended job is a 409 problem (exit 5); the list shows it; the cancel is audited with its reason.
    const again = await cli(['replay-jobs', 'cancel', jobId, '--json'], env);
    expect(again.code).toBe(5);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 409, code: 'OPS.REPLAY_JOB_ENDED' });
    const listed = await cli(['replay-jobs', 'list'], env);
    expect(listed.stdout).toMatch(new RegExp(`${jobId}\\s+cancelled`));
    const audit = await api(t, 'GET', '/v1/audit?action=dlq.bulk-replay-cancel', TOKENS.operator);
    expect(audit.body.entries).toContainEqual(expect.objectContaining({ actor: 'olga', details: { jobId, reason: 'wrong filter' } }));
  });

  it('ends at once a running job no process runs any more (its process stopped)', async () => {
    const jobId = randomUUID();
    await t.ops.dataSource.query(
      `INSERT INTO replay_jobs (id, created_by, created_at, heartbeat_at, state, filter, rate_per_second, total, published)
       VALUES (?, 'olga', UTC_TIMESTAMP(3) - INTERVAL 10 MINUTE, UTC_TIMESTAMP(3) - INTERVAL 10 MINUTE, 'running', '{}', 1, 2, 1)`,
      [jobId],
    );
    await t.ops.dataSource.query(
      `INSERT INTO replay_job_items (job_id, dead_letter_id, outcome, updated_at) VALUES (?, 999991, 'published', UTC_TIMESTAMP(3)), (?, 999992, 'queued', UTC_TIMESTAMP(3))`,
      [jobId, jobId],
    );
    const r = await cli(['replay-jobs', 'cancel', jobId, '--wait', '0', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'cancelled', summary: { pending: 1, skipped: 1, queued: 0 } });
  });

  it('lists the holds of every node and releases one that has no parked dead letter in ops', async () => {
    const nodeDb = t.stack.databases.nodes['500000'];
    const free = `SUB-HOLD-${uniqueId()}`;
    const blocked = exampleEvent('SubsidyApplicationSubmitted', uniqueId());
    const code = `HOLD_${uniqueId()}`.toUpperCase();
    await parkEvent(t, '500000', blocked, new TongbanError(code, 'down'));
    const letter = await waitFor(async () => (await api(t, 'GET', `/v1/dlq?errorCode=${code}`, TOKENS.viewer)).body.items?.[0], 'the blocker parked in ops');
    for (const [key, offset] of [
      [free, 1],
      [blocked.envelope.caseId, 2],
    ] as const) {
      await queryRows(
        nodeDb,
        `INSERT INTO held_cases (case_key, status, blocker_ref, blocker_event_id, blocker_topic, blocker_partition, blocker_offset, blocker_headers, forward_topic, forward_headers, error_code, error_message, opened_at, updated_at)
         VALUES (?, 'parked', ?, NULL, ?, 0, ?, '{}', ?, '{}', ?, 'down', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
        [key, `${t.stack.inbox('500000')}/0/${offset}`, t.stack.inbox('500000'), offset, `${t.stack.inbox('500000')}.dlq`, code],
      );
    }

    const listed = await cli(['holds', 'list', '--json'], { ...env, TONGBAN_OPS_TOKEN: TOKENS.viewer });
    expect(listed.code).toBe(0);
    const view = JSON.parse(listed.stdout);
    expect(view.nodes).toEqual(
      expect.arrayContaining([
        { node: '510000', ok: true, count: expect.any(Number) },
        { node: '500000', ok: true, count: expect.any(Number) },
      ]),
    );
    expect(view.holds).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ node: '500000', caseKey: free, status: 'parked', errorCode: code }),
        expect.objectContaining({ node: '500000', caseKey: blocked.envelope.caseId, status: 'parked' }),
      ]),
    );
    const human = await cli(['holds', 'list', '--node', '500000'], env);
    expect(human.stdout).toMatch(new RegExp(`500000\\s+${free}\\s+parked\\s+0\\s+${code}`));

    // The hold whose blocker ops has as a parked dead letter is settled through that letter.
    const viaLetter = await cli(['holds', 'release', blocked.envelope.caseId, '--resolution', 'discarded', '--reason', 'sent twice'], env);
    expect(viaLetter.code).toBe(5);
    expect(viaLetter.stderr).toContain(`dlq replay|discard ${letter.id}`);
    expect(
      (await cli(['holds', 'release', free, '--resolution', 'discarded', '--reason', 'sent twice'], { ...env, TONGBAN_OPS_TOKEN: TOKENS.viewer })).code,
    ).toBe(4);
    expect((await cli(['holds', 'release', `NO-SUCH-${uniqueId()}`, '--resolution', 'replayed'], env)).code).toBe(3);

    const released = await cli(['holds', 'release', free, '--resolution', 'discarded', '--reason', 'the municipal system sent it twice', '--json'], env);
    expect(released.code).toBe(0);
    expect(JSON.parse(released.stdout)).toMatchObject({ node: '500000', caseKey: free, resolution: 'discarded', outcome: 'released' });
    expect(await queryRows(nodeDb, 'SELECT status, resolution FROM held_cases WHERE case_key = ?', [free])).toEqual([
      { status: 'closed', resolution: 'discarded' },
    ]);
    const audit = await api(t, 'GET', '/v1/audit?action=hold.release', TOKENS.operator);
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({
        actor: 'olga',
        details: expect.objectContaining({ node: '500000', caseKey: free, resolution: 'discarded', outcome: 'released' }),
      }),
    );
  });

  it('lists and redelivers parked deliveries at the delivery service, with its token and not the operator’s', async () => {
    const delivery = await startDelivery(t.stack);
    try {
      const denv = { ...env, TONGBAN_DELIVERY_URL: delivery.url, TONGBAN_DELIVERY_TOKEN: ADMIN_TOKEN };
      const caseId = `SUB-DLV-${uniqueId()}`;
      for (const state of ['parked', 'delivered']) {
        await queryRows(
          `tb_${t.stack.id}_delivery`,
          `INSERT INTO deliveries (subscription_id, event_id, event_type, case_id, target_region, state, body, attempts, last_status, last_error, created_at, parked_at)
           VALUES (?, ?, 'SubsidyTransferred', ?, '500000', ?, '{}', 9, 503, 'receiver down', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
          [randomUUID(), randomUUID(), caseId, state],
        );
      }
      const listed = await cli(['deliveries', 'list', '--state', 'parked', '--case-id', caseId, '--json'], denv);
      expect(listed.code).toBe(0);
      const [parked] = JSON.parse(listed.stdout).deliveries;
      expect(parked).toMatchObject({ caseId, state: 'parked', attempts: 9, lastStatus: 503 });
      expect((await cli(['deliveries', 'list', '--state', 'parked', '--case-id', caseId], denv)).stdout).toMatch(
        // The partner column shows "-": the row's subscription is none of delivery's.
        new RegExp(`${parked.deliveryId}\\s+parked\\s+-\\s+SubsidyTransferred\\s+${caseId}`),
      );
      // The operator's ops token is not a delivery credential.
      expect((await cli(['deliveries', 'list'], { ...denv, TONGBAN_DELIVERY_TOKEN: TOKENS.operator })).code).toBe(4);

      const again = await cli(['deliveries', 'redeliver', parked.deliveryId, '--json'], denv);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ deliveryId: parked.deliveryId, state: 'queued', caseId, eventType: 'SubsidyTransferred' });
      // Only a parked delivery is sent again: a delivered one is a conflict.
      const delivered = await cli(['deliveries', 'list', '--state', 'delivered', '--case-id', caseId, '--json'], denv);
      const [done] = JSON.parse(delivered.stdout).deliveries;
      expect(done).toMatchObject({ caseId, state: 'delivered' });
      const refused = await cli(['deliveries', 'redeliver', done.deliveryId], denv);
      expect(refused.code).toBe(5);
      expect(refused.stderr).toContain('(DELIVERY.NOT_PARKED)');
      expect((await cli(['deliveries', 'redeliver', '999999999'], denv)).code).toBe(3);
    } finally {
      await delivery.stop();
    }
  });
});
