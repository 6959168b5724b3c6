import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A bulk replay can be cancelled from any ops replica: the request is a column of the job's row, which the
 * process running the job reads between two letters; `heartbeat_at` says when that process last made
 * progress, so a job whose process is gone (stopped without finishing it) is cancelled by the request itself.
 */
export class ReplayJobCancel1767300000000 implements MigrationInterface {
  name = 'ReplayJobCancel1767300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE replay_jobs
      ADD COLUMN cancel_requested_at DATETIME(3) NULL,
      ADD COLUMN cancel_requested_by VARCHAR(64) NULL,
      ADD COLUMN heartbeat_at DATETIME(3) NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE replay_jobs DROP COLUMN heartbeat_at, DROP COLUMN cancel_requested_by, DROP COLUMN cancel_requested_at');
  }
}
