import { MigrationInterface, QueryRunner } from 'typeorm';

/** The service office an accepted event was published for: `GET /v1/events/:eventId` answers only that side. */
export class AcceptedEventOffice1767000000000 implements MigrationInterface {
  name = 'AcceptedEventOffice1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE accepted_events ADD COLUMN source_office VARCHAR(20) NULL AFTER target_region');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE accepted_events DROP COLUMN source_office');
  }
}
