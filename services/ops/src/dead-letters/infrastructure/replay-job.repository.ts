import type { DataSource } from 'typeorm';
import type { AuditInput, AuditLog } from '@tongban/audit';

/** Per item: queued → published → applied | already-applied | failed-again | pending (no answer in time); or publish-failed. */
export type ReplayItemOutcome = 'queued' | 'published' | 'applied' | 'already-applied' | 'failed-again' | 'publish-failed' | 'pending';

/** A bulk replay job as stored (`replay_jobs`). */
export interface ReplayJobRow {
  id: string;
  state: 'running' | 'waiting' | 'finished' | 'failed';
  created_by: string;
  created_at: string | Date;
  finished_at: string | Date | null;
  filter: string;
  rate_per_second: number | string;
  total: number | string;
  published: number | string;
  error: string | null;
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
        `INSERT INTO replay_jobs (id, created_by, created_at, state, filter, rate_per_second, total) VALUES (?, ?, UTC_TIMESTAMP(3), 'running', ?, ?, ?)`,
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
    const rows: Array<{ id: string }> = await this.dataSource.query(`SELECT id FROM replay_jobs ORDER BY created_at DESC LIMIT ${Math.max(1, Math.min(100, limit))}`);
    return rows.map((r) => r.id);
  }

  async setPublished(id: string, published: number): Promise<void> {
    await this.dataSource.query('UPDATE replay_jobs SET published = ? WHERE id = ?', [published, id]);
  }

  /** Every letter published: the job now waits for the outcomes. */
  async waiting(id: string): Promise<void> {
    await this.dataSource.query("UPDATE replay_jobs SET state = 'waiting' WHERE id = ?", [id]);
  }

  /** The wait is over: items without an answer are pending, and the job is finished. */
  async finish(id: string): Promise<void> {
    await this.dataSource.query("UPDATE replay_job_items SET outcome = 'pending', updated_at = UTC_TIMESTAMP(3) WHERE job_id = ? AND outcome IN ('published', 'queued')", [id]);
    await this.dataSource.query("UPDATE replay_jobs SET state = 'finished', finished_at = UTC_TIMESTAMP(3) WHERE id = ?", [id]);
  }

  async fail(id: string, error: string): Promise<void> {
    await this.dataSource.query("UPDATE replay_jobs SET state = 'failed', error = ?, finished_at = UTC_TIMESTAMP(3) WHERE id = ?", [error.slice(0, 2000), id]);
  }

  async setItem(jobId: string, deadLetterId: number, outcome: ReplayItemOutcome, extra: { ref?: string; alreadyApplied?: string; detail?: string }): Promise<void> {
    await this.dataSource.query(
      `UPDATE replay_job_items SET outcome = ?, replay_ref = COALESCE(?, replay_ref), already_applied = COALESCE(?, already_applied), detail = COALESCE(?, detail), updated_at = UTC_TIMESTAMP(3)
       WHERE job_id = ? AND dead_letter_id = ?`,
      [outcome, extra.ref ?? null, extra.alreadyApplied ?? null, extra.detail ?? null, jobId, deadLetterId],
    );
  }
}
