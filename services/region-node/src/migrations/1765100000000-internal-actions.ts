import { MigrationInterface, QueryRunner } from 'typeorm';

/** Who asked the node's internal API to act (hold releases and the like), with the answer it got. */
export class InternalActions1765100000000 implements MigrationInterface {
  name = 'InternalActions1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE internal_actions (
      id BIGINT AUTO_INCREMENT PRIMARY KEY,
      at DATETIME(3) NOT NULL,
      actor VARCHAR(120) NOT NULL,
      method VARCHAR(10) NOT NULL,
      path VARCHAR(500) NOT NULL,
      status SMALLINT NOT NULL,
      KEY internal_actions_at (at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE internal_actions');
  }
}
