import { MigrationInterface, QueryRunner } from 'typeorm';
import { API_KEYS_DDL } from '@tongban/auth';

export class ApiKeys1765000000000 implements MigrationInterface {
  name = 'ApiKeys1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(API_KEYS_DDL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE api_keys');
  }
}
