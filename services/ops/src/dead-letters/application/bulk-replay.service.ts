import { randomUUID } from 'node:crypto';
import { AuditLog } from '@tongban/audit';
import { TongbanError, ValidationError } from '@tongban/errors';
import { NotFoundError } from '@tongban/http';
import { JsonLogger } from '@tongban/observability';
import type { Operator } from '../../operators/operator-registry';
import { DeadLetterFilter } from '../domain/dead-letter';
import { ReplayPreview, shapePreview } from '../domain/triage';
import { ABANDONED_AFTER_MS, decideCancel, stopsAt } from '../domain/replay-cancel';
import { DeadLetterRepository } from '../infrastructure/dead-letter.repository';
import { NodeClient } from '../infrastructure/node-client';
import { ReplayItemOutcome, ReplayJobRepository, ReplayJobState } from '../infrastructure/replay-job.repository';
import { DeadLetterService } from './dead-letter.service';

type ItemOutcome = ReplayItemOutcome;

export interface ReplayJobView {
  id: string;
  state: ReplayJobState;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
  filter: Record<string, unknown>;
  ratePerSecond: number;
  total: number;
  published: number;
  /** `skipped`: never sent, because the job was cancelled first. */
  summary: { applied: number; alreadyApplied: number; failedAgain: number; publishFailed: number; pending: number; queued: number; skipped: number };
  /** Who asked to cancel the job and when; the job ends at its next letter. */
  cancelRequested: { at: string; by: string } | null;
  error: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Replays every dead letter matching a filter at a bounded rate, as a job whose progress and summary
 * any replica can answer from MySQL. After publishing, it watches for each message's outcome: the
 * node applied it, it had been applied already, or it came back as a new dead letter.
 */
export class BulkReplayService {
  private readonly running = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly jobs: ReplayJobRepository,
    private readonly repository: DeadLetterRepository,
    private readonly deadLetters: DeadLetterService,
    private readonly nodes: NodeClient,
    private readonly audit: AuditLog,
    private readonly logger: JsonLogger,
    /** `maxItems`: letters one job takes at most; `maxJobs`: jobs this process runs at once (each holds its ids). */
    /** `abandonedAfterMs`: a job without progress for this long has no process running it (a cancel then ends it at once). */
    private readonly limits: { defaultRate: number; maxRate: number; outcomeWaitMs: number; maxItems?: number; maxJobs?: number; abandonedAfterMs?: number },
  ) {}

  /** The rate, limit and filter a job of these options runs with; a bad one is a 400. */
  private settle(filter: DeadLetterFilter, options: { ratePerSecond?: number; limit?: number }): { rate: number; limit: number; effective: DeadLetterFilter } {
    const rate = options.ratePerSecond ?? this.limits.defaultRate;
    if (!Number.isInteger(rate) || rate < 1 || rate > this.limits.maxRate) {
      throw new ValidationError([{ path: 'ratePerSecond', problem: `must be a whole number from 1 to ${this.limits.maxRate}` }]);
    }
    const maxItems = this.limits.maxItems ?? 10000;
    const limit = options.limit ?? maxItems;
    if (!Number.isInteger(limit) || limit < 1 || limit > maxItems)
      throw new ValidationError([{ path: 'limit', problem: `must be a whole number from 1 to ${maxItems}` }]);
    // Without a state, a bulk replay takes what is still parked: replayed and discarded letters stay as they are.
    const effective: DeadLetterFilter = { state: 'parked', ...filter };
    if (effective.state === 'discarded') throw new ValidationError([{ path: 'state', problem: 'discarded dead letters cannot be replayed' }]);
    return { rate, limit, effective };
  }

  /** What a job of these options would replay, now: how many, at what rate, the first letters (nothing personal). */
  async preview(filter: DeadLetterFilter, options: { ratePerSecond?: number; limit?: number; sample?: number } = {}): Promise<ReplayPreview> {
    const { rate, limit, effective } = this.settle(filter, options);
    const sampleSize = options.sample ?? 20;
    const [matching, rows] = await Promise.all([this.repository.count(effective), this.repository.oldest(effective, Math.min(sampleSize, limit))]);
    return shapePreview(matching, limit, rate, rows, sampleSize);
  }

  async start(
    filter: DeadLetterFilter,
    operator: Operator,
    options: { ratePerSecond?: number; limit?: number; outcomeWaitMs?: number } = {},
  ): Promise<ReplayJobView> {
    const { rate, limit, effective } = this.settle(filter, options);
    const maxJobs = this.limits.maxJobs ?? 2;
    if (this.running.size >= maxJobs) {
      throw new TongbanError(
        'OPS.TOO_MANY_BULK_REPLAYS',
        `${this.running.size} bulk replays are running here already (at most ${maxJobs}); start this one when one has finished`,
      );
    }
    const ids = await this.repository.ids(effective, limit);
    const id = randomUUID();
    const shownFilter = Object.fromEntries(Object.entries(effective).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
    await this.jobs.create({ id, createdBy: operator.name, filter: shownFilter, ratePerSecond: rate, deadLetterIds: ids }, this.audit, {
      actor: operator.name,
      action: 'dlq.bulk-replay',
      subject: { messages: [], cases: effective.caseId ? [effective.caseId] : [], regions: effective.region ? [effective.region] : [] },
      details: { jobId: id, filter: shownFilter, total: ids.length, ratePerSecond: rate },
    });
    const run = this.run(id, ids, operator, rate, options.outcomeWaitMs ?? this.limits.outcomeWaitMs).finally(() => this.running.delete(run));
    this.running.add(run);
    return this.get(id);
  }

  async get(id: string): Promise<ReplayJobView> {
    const job = await this.jobs.job(id);
    if (!job) throw new NotFoundError(`replay job ${id} not found`, 'OPS.REPLAY_JOB_NOT_FOUND');
    const counts = await this.jobs.outcomeCounts(id);
    const n = (o: ItemOutcome) => counts.get(o) ?? 0;
    return {
      id: job.id,
      state: job.state,
      createdBy: job.created_by,
      createdAt: new Date(job.created_at).toISOString(),
      finishedAt: job.finished_at ? new Date(job.finished_at).toISOString() : null,
      filter: JSON.parse(job.filter),
      ratePerSecond: Number(job.rate_per_second),
      total: Number(job.total),
      published: Number(job.published),
      summary: {
        applied: n('applied'),
        alreadyApplied: n('already-applied'),
        failedAgain: n('failed-again'),
        publishFailed: n('publish-failed'),
        pending: n('pending') + n('published'),
        queued: n('queued'),
        skipped: n('skipped'),
      },
      cancelRequested: job.cancel_requested_at ? { at: new Date(job.cancel_requested_at).toISOString(), by: job.cancel_requested_by ?? '' } : null,
      error: job.error,
    };
  }

  /** Per letter: its outcome so far (`queued` before it was sent, `skipped` when the job was cancelled first). */
  async items(id: string): Promise<{ jobId: string; items: Awaited<ReturnType<ReplayJobRepository['items']>> }> {
    if (!(await this.jobs.job(id))) throw new NotFoundError(`replay job ${id} not found`, 'OPS.REPLAY_JOB_NOT_FOUND');
    return { jobId: id, items: await this.jobs.items(id) };
  }

  /**
   * Asks a running job to stop at its next letter, from any replica: the request is stored in the job's row.
   * A job no process runs any more (no progress for `abandonedAfterMs`) is ended here and now.
   */
  async cancel(id: string, operator: Operator, reason?: string): Promise<ReplayJobView> {
    const job = await this.jobs.job(id);
    if (!job) throw new NotFoundError(`replay job ${id} not found`, 'OPS.REPLAY_JOB_NOT_FOUND');
    const decision = decideCancel(
      { state: job.state, heartbeatAt: new Date(job.heartbeat_at ?? job.created_at) },
      new Date(),
      this.limits.abandonedAfterMs ?? ABANDONED_AFTER_MS,
    );
    const ended = () =>
      new TongbanError(
        'OPS.REPLAY_JOB_ENDED',
        `replay job ${id}: ${decision.kind === 'refuse' ? decision.reason : 'the bulk replay has ended already'}; only a running one is cancelled`,
      );
    if (decision.kind === 'refuse') throw ended();
    const requested = await this.jobs.requestCancel(id, operator.name, this.audit, {
      actor: operator.name,
      action: 'dlq.bulk-replay-cancel',
      details: { jobId: id, ...(reason ? { reason } : {}), ...(decision.kind === 'end-now' ? { abandoned: true } : {}) },
    });
    if (!requested) throw ended();
    if (decision.kind === 'end-now') await this.ended(id, operator.name, true);
    return this.get(id);
  }

  async list(limit = 20): Promise<ReplayJobView[]> {
    const ids = await this.jobs.recentIds(limit);
    return Promise.all(ids.map((id) => this.get(id)));
  }

  /** Lets running jobs stop between two messages (on shutdown). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running]);
  }

  private async run(jobId: string, ids: number[], operator: Operator, rate: number, outcomeWaitMs: number): Promise<void> {
    const started = Date.now();
    const published: Array<{ deadLetterId: number; ref: string; at: Date }> = [];
    try {
      for (let i = 0; i < ids.length && !this.stopping; i++) {
        const due = started + (i * 1000) / rate;
        if (due > Date.now()) await sleep(due - Date.now());
        // A cancel may come from any replica: the job's row says so, read before each letter.
        if (stopsAt(await this.jobs.cancelState(jobId))) {
          await this.watchOutcomes(jobId, published, 0, true);
          await this.ended(jobId, operator.name, false);
          return;
        }
        const at = new Date();
        try {
          const result = await this.deadLetters.replay(ids[i], operator, { jobId });
          const outcome: ItemOutcome = result.alreadyApplied === 'yes' ? 'already-applied' : 'published';
          await this.item(jobId, ids[i], outcome, { ref: result.replayRef, alreadyApplied: result.alreadyApplied });
          if (outcome === 'published') published.push({ deadLetterId: ids[i], ref: result.replayRef, at });
        } catch (e) {
          await this.item(jobId, ids[i], 'publish-failed', { detail: (e as Error).message });
        }
        await this.jobs.setPublished(jobId, i + 1);
      }
      if (this.stopping) return await this.interrupted(jobId);
      await this.jobs.waiting(jobId);
      if ((await this.watchOutcomes(jobId, published, outcomeWaitMs)) === 'cancelled') {
        await this.ended(jobId, operator.name, false);
        return;
      }
      if (this.stopping) return await this.interrupted(jobId);
      await this.jobs.finish(jobId);
      const view = await this.get(jobId);
      this.logger.event('info', 'bulk replay finished', { jobId, operator: operator.name, total: view.total, ...view.summary });
      await this.audit.record({ actor: operator.name, action: 'dlq.bulk-replay-finished', details: { jobId, total: view.total, summary: view.summary } });
    } catch (e) {
      this.logger.event('error', 'bulk replay failed', { jobId, error: (e as Error).message });
      await this.jobs.fail(jobId, (e as Error).message).catch(() => undefined);
    }
  }

  /** Records each sent letter's outcome as it shows, until `waitMs` has passed or the job is cancelled; `once`: one look. */
  private async watchOutcomes(
    jobId: string,
    published: Array<{ deadLetterId: number; ref: string; at: Date }>,
    waitMs: number,
    once = false,
  ): Promise<'done' | 'cancelled'> {
    const deadline = Date.now() + waitMs;
    let open = published;
    for (let first = true; open.length > 0 && (once ? first : Date.now() < deadline) && !this.stopping; first = false) {
      if (!once) {
        if (stopsAt(await this.jobs.cancelState(jobId))) return 'cancelled';
        await this.jobs.heartbeat(jobId);
      }
      const still: typeof open = [];
      for (const [n, p] of open.entries()) {
        // A long round still shows the job alive and heeds a cancel.
        if (!once && n > 0 && n % 50 === 0) {
          if (stopsAt(await this.jobs.cancelState(jobId))) return 'cancelled';
          await this.jobs.heartbeat(jobId);
        }
        const again = await this.repository.failedAgain(p.ref, p.at, p.deadLetterId);
        if (again) {
          await this.item(jobId, p.deadLetterId, 'failed-again', { detail: `dead letter ${again.id}: ${again.errorCode}` });
          continue;
        }
        const row = await this.repository.get(p.deadLetterId);
        if (row && (await this.nodes.wasApplied(row.region, row)) === 'yes') await this.item(jobId, p.deadLetterId, 'applied', {});
        else still.push(p);
      }
      open = still;
      if (open.length > 0 && !once) await sleep(500);
    }
    return 'done';
  }

  /** Ends a cancelled job (unless it has ended meanwhile) and records the outcome counts. */
  private async ended(jobId: string, operator: string, abandoned: boolean): Promise<void> {
    if (!(await this.jobs.end(jobId, 'cancelled'))) return;
    const view = await this.get(jobId);
    const by = view.cancelRequested?.by || operator;
    this.logger.event('info', 'bulk replay cancelled', { jobId, by, total: view.total, abandoned, ...view.summary });
    await this.audit.record({ actor: by, action: 'dlq.bulk-replay-cancelled', details: { jobId, total: view.total, summary: view.summary, abandoned } });
  }

  /** Ops is stopping under a job: it ends as failed, saying so, with what it did kept and the rest skipped. */
  private async interrupted(jobId: string): Promise<void> {
    await this.jobs.end(jobId, 'failed', 'ops stopped before the bulk replay ended; the letters not sent are skipped and still parked');
    this.logger.event('warn', 'bulk replay interrupted by shutdown', { jobId });
  }

  private async item(
    jobId: string,
    deadLetterId: number,
    outcome: ItemOutcome,
    extra: { ref?: string; alreadyApplied?: string; detail?: string },
  ): Promise<void> {
    await this.jobs.setItem(jobId, deadLetterId, outcome, extra);
  }
}
