import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead letters name their workflow as the nodes do (`disability-subsidy`, not the contract namespace `subsidy`),
 * so the `workflow` filter takes the values of the nodes' cases and metrics. Common events have no workflow.
 */
export class WorkflowNames1767300000001 implements MigrationInterface {
  name = 'WorkflowNames1767300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE dead_letters SET workflow = CASE workflow
      WHEN 'subsidy' THEN 'disability-subsidy' WHEN 'marriage' THEN 'marriage-registration' WHEN 'funeral' THEN 'funeral-transfer'
      WHEN 'economiccheck' THEN 'economic-check' ELSE NULL END
      WHERE workflow IN ('subsidy', 'marriage', 'funeral', 'economiccheck', 'common')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE dead_letters SET workflow = CASE workflow
      WHEN 'disability-subsidy' THEN 'subsidy' WHEN 'marriage-registration' THEN 'marriage' WHEN 'funeral-transfer' THEN 'funeral'
      WHEN 'economic-check' THEN 'economiccheck' ELSE workflow END`);
  }
}
