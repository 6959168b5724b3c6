import type { DataSource } from 'typeorm';
import type { AuditInput, AuditLog } from '@tongban/audit';

/**
 * Per item: queued → published → applied | already-applied | failed-again | pending (no answer in time); or
 * publish-failed; or skipped (still queued when the job was cancelled: never sent).
 */
export const REPLAY_ITEM_OUTCOMES = ['queued', 'published', 'applied', 'already-applied', 'failed-again', 'publish-failed', 'pending', 'skipped'] as const;
export type ReplayItemOutcome = (typeof REPLAY_ITEM_OUTCOMES)[number];

export const REPLAY_JOB_STATES = ['running', 'waiting', 'finished', 'failed', 'cancelled'] as const;
export type ReplayJobState = (typeof REPLAY_JOB_STATES)[number];

/** A bulk replay job as stored (`replay_jobs`). */
export interface ReplayJobRow {
  id: string;
  state: ReplayJobState;
  created_by: string;
  created_at: string | Date;
  finished_at: string | Date | null;
  filter: string;
  rate_per_second: number | string;
  total: number | string;
  published: number | string;
  error: string | null;
  cancel_requested_at: string | Date | null;
  cancel_requested_by: string | null;
  heartbeat_at: string | Date | null;
}

export interface NewReplayJob {
  id: string;
  createdBy: string;
  filter: Record<string, unknown>;
  ratePerSecond: number;
  deadLetterIds: number[];
}

/** Bulk replay jobs and their items in the ops database (`replay_jobs`, `replay_job_items`), for any replica to answer. */
export class ReplayJobRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores a job and one queued item per dead letter, with its audit entry, in one transaction. */
  async create(job: NewReplayJob, audit: AuditLog, entry: AuditInput): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO replay_jobs (id, created_by, created_at, heartbeat_at, state, filter, rate_per_second, total) VALUES (?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 'running', ?, ?, ?)`,
        [job.id, job.createdBy, JSON.stringify(job.filter), job.ratePerSecond, job.deadLetterIds.length],
      );
      for (let i = 0; i < job.deadLetterIds.length; i += 500) {
        const chunk = job.deadLetterIds.slice(i, i + 500);
        await manager.query(
          `INSERT INTO replay_job_items (job_id, dead_letter_id, outcome, updated_at) VALUES ${chunk.map(() => "(?, ?, 'queued', UTC_TIMESTAMP(3))").join(', ')}`,
          chunk.flatMap((d) => [job.id, d]),
        );
      }
      await audit.append(manager, entry);
    });
  }

  async job(id: string): Promise<ReplayJobRow | undefined> {
    const [job] = await this.dataSource.query('SELECT * FROM replay_jobs WHERE id = ?', [id]);
    return job;
  }

  /** How many of a job's items have each outcome. */
  async outcomeCounts(id: string): Promise<Map<ReplayItemOutcome, number>> {
    const counts: Array<{ outcome: ReplayItemOutcome; n: string }> = await this.dataSource.query(
      'SELECT outcome, COUNT(*) AS n FROM replay_job_items WHERE job_id = ? GROUP BY outcome',
      [id],
    );
    return new Map(counts.map((c) => [c.outcome, Number(c.n)]));
  }

  /** The ids of the latest jobs, newest first (1 to 100). */
  async recentIds(limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM replay_jobs ORDER BY created_at DESC LIMIT ${Math.max(1, Math.min(100, limit))}`,
    );
    return rows.map((r) => r.id);
  }

  /** One more letter sent; also the job's heartbeat. */
  async setPublished(id: string, published: number): Promise<void> {
    await this.dataSource.query('UPDATE replay_jobs SET published = ?, heartbeat_at = UTC_TIMESTAMP(3) WHERE id = ?', [published, id]);
  }

  /** The process running the job is still at it (while it waits for outcomes). */
  async heartbeat(id: string): Promise<void> {
    await this.dataSource.query('UPDATE replay_jobs SET heartbeat_at = UTC_TIMESTAMP(3) WHERE id = ?', [id]);
  }

  /** The job's state and whether someone asked, in any replica, to cancel it. */
  async cancelState(id: string): Promise<{ state: string; cancelRequested: boolean } | undefined> {
    const [row]: Array<{ state: string; cancel_requested_at: unknown }> = await this.dataSource.query(
      'SELECT state, cancel_requested_at FROM replay_jobs WHERE id = ?',
      [id],
    );
    return row ? { state: row.state, cancelRequested: row.cancel_requested_at !== null } : undefined;
  }

  /**
   * Records a request to cancel a job that is still running or waiting, with its audit entry, in one transaction;
   * false when the job has ended meanwhile. A second request keeps the first one's time and operator.
   */
  async requestCancel(id: string, by: string, audit: AuditLog, entry: AuditInput): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const result = await manager.query(
        `UPDATE replay_jobs SET cancel_requested_at = COALESCE(cancel_requested_at, UTC_TIMESTAMP(3)), cancel_requested_by = COALESCE(cancel_requested_by, ?)
         WHERE id = ? AND state IN ('running', 'waiting')`,
        [by, id],
      );
      if (affected(result) === 0) return false;
      await audit.append(manager, entry);
      return true;
    });
  }

  /**
   * Ends a job before it went through: `cancelled` on request, `failed` when ops stopped under it. What was never
   * sent is skipped, what was sent without an answer yet is pending, every other outcome stays as it was. False when
   * the job had ended already (finished, failed or cancelled).
   */
  async end(id: string, state: 'cancelled' | 'failed', error: string | null = null): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const result = await manager.query(
        "UPDATE replay_jobs SET state = ?, error = ?, finished_at = UTC_TIMESTAMP(3) WHERE id = ? AND state IN ('running', 'waiting')",
        [state, error, id],
      );
      if (affected(result) === 0) return false;
      await manager.query("UPDATE replay_job_items SET outcome = 'skipped', updated_at = UTC_TIMESTAMP(3) WHERE job_id = ? AND outcome = 'queued'", [id]);
      await manager.query("UPDATE replay_job_items SET outcome = 'pending', updated_at = UTC_TIMESTAMP(3) WHERE job_id = ? AND outcome = 'published'", [id]);
      return true;
    });
  }

  /** The items of a job with their outcomes, in the order they were queued (at most 10000). */
  async items(id: string): Promise<Array<{ deadLetterId: number; outcome: ReplayItemOutcome; detail: string | null; updatedAt: string }>> {
    const rows: Array<{ dead_letter_id: string | number; outcome: ReplayItemOutcome; detail: string | null; updated_at: string | Date }> =
      await this.dataSource.query(
        'SELECT dead_letter_id, outcome, detail, updated_at FROM replay_job_items WHERE job_id = ? ORDER BY dead_letter_id LIMIT 10000',
        [id],
      );
    return rows.map((r) => ({ deadLetterId: Number(r.dead_letter_id), outcome: r.outcome, detail: r.detail, updatedAt: new Date(r.updated_at).toISOString() }));
  }

  /** Every letter published: the job now waits for the outcomes. */
  async waiting(id: string): Promise<void> {
    await this.dataSource.query("UPDATE replay_jobs SET state = 'waiting' WHERE id = ?", [id]);
  }

  /** The wait is over: items without an answer are pending, and the job is finished. */
  async finish(id: string): Promise<void> {
    await this.dataSource.query(
      "UPDATE replay_job_items SET outcome = 'pending', updated_at = UTC_TIMESTAMP(3) WHERE job_id = ? AND outcome IN ('published', 'queued')",
      [id],
    );
    await this.dataSource.query("UPDATE replay_jobs SET state = 'finished', finished_at = UTC_TIMESTAMP(3) WHERE id = ?", [id]);
  }

  async fail(id: string, error: string): Promise<void> {
    await this.dataSource.query("UPDATE replay_jobs SET state = 'failed', error = ?, finished_at = UTC_TIMESTAMP(3) WHERE id = ?", [error.slice(0, 2000), id]);
  }

  async setItem(
    jobId: string,
    deadLetterId: number,
    outcome: ReplayItemOutcome,
    extra: { ref?: string; alreadyApplied?: string; detail?: string },
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE replay_job_items SET outcome = ?, replay_ref = COALESCE(?, replay_ref), already_applied = COALESCE(?, already_applied), detail = COALESCE(?, detail), updated_at = UTC_TIMESTAMP(3)
       WHERE job_id = ? AND dead_letter_id = ?`,
      [outcome, extra.ref ?? null, extra.alreadyApplied ?? null, extra.detail ?? null, jobId, deadLetterId],
    );
  }
}

/** Rows changed by an UPDATE, as mysql2 reports it through TypeORM (an OkPacket, or [rows, affected]). */
function affected(result: unknown): number {
  if (Array.isArray(result) && typeof result[1] === 'number') return result[1];
  const r = result as { affectedRows?: number } | undefined;
  return r?.affectedRows ?? 0;
}
