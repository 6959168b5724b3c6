import type { DataSource } from 'typeorm';
import type { AuditLog } from '@tongban/audit';
import { TongbanError, ValidationError } from '@tongban/errors';
import type { JsonLogger } from '@tongban/observability';
import type { Operator } from '../../operators/operator-registry';
import type { DeadLetterRepository } from '../infrastructure/dead-letter.repository';
import type { NodeClient } from '../infrastructure/node-client';
import { ReplayJobRepository } from '../infrastructure/replay-job.repository';
import { BulkReplayService } from './bulk-replay.service';
import type { DeadLetterService } from './dead-letter.service';

/** A service whose jobs never finish: each replay waits for ever, so a started job stays running. */
function service(limits: { maxItems?: number; maxJobs?: number }) {
  const dataSource = {
    transaction: async (work: (m: { query: () => Promise<void> }) => Promise<void>) => work({ query: async () => undefined }),
    query: async (sql: string) =>
      sql.startsWith('SELECT * FROM replay_jobs')
        ? [{ id: 'j', state: 'running', created_by: 'admin', created_at: new Date(), finished_at: null, filter: '{}', rate_per_second: 10, total: 1, published: 0, error: null }]
        : [],
  } as unknown as DataSource;
  const repository = { ids: async (_f: unknown, limit: number) => Array.from({ length: Math.min(limit, 3) }, (_, i) => i + 1) } as unknown as DeadLetterRepository;
  const deadLetters = { replay: () => new Promise(() => undefined) } as unknown as DeadLetterService;
  const audit = { append: async () => undefined, record: async () => undefined } as unknown as AuditLog;
  const logger = { event: () => undefined } as unknown as JsonLogger;
  return new BulkReplayService(new ReplayJobRepository(dataSource), repository, deadLetters, {} as NodeClient, audit, logger, { defaultRate: 10, maxRate: 100, outcomeWaitMs: 0, ...limits });
}

const operator = { name: 'admin', role: 'admin' } as unknown as Operator;

describe('bulk replay bounds', () => {
  it('takes at most maxItems letters per job', async () => {
    const jobs = service({ maxItems: 2 });
    await expect(jobs.start({}, operator, { limit: 3 })).rejects.toBeInstanceOf(ValidationError);
    await expect(jobs.start({}, operator, { limit: 2 })).resolves.toMatchObject({ state: 'running' });
  });

  it('runs at most maxJobs jobs at once and refuses one more as RATE_LIMITED', async () => {
    const jobs = service({ maxJobs: 1 });
    await jobs.start({}, operator);
    const refused = await jobs.start({}, operator).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TongbanError);
    expect(refused).toMatchObject({ code: 'OPS.TOO_MANY_BULK_REPLAYS' });
  });
});
