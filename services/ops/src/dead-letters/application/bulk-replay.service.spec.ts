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
function service(limits: { maxItems?: number; maxJobs?: number }, job: Record<string, unknown> | null = { state: 'running' }, writes: string[] = []) {
  const dataSource = {
    transaction: async (work: (m: { query: (sql: string) => Promise<unknown> }) => Promise<unknown>) =>
      work({ query: async (sql: string) => (writes.push(sql), { affectedRows: 1 }) }),
    query: async (sql: string) =>
      /FROM replay_jobs WHERE id = \?/.test(sql) && job
        ? [
            {
              id: 'j',
              created_by: 'admin',
              created_at: new Date(),
              finished_at: null,
              filter: '{}',
              rate_per_second: 10,
              total: 1,
              published: 0,
              error: null,
              cancel_requested_at: null,
              cancel_requested_by: null,
              heartbeat_at: new Date(),
              ...job,
            },
          ]
        : [],
  } as unknown as DataSource;
  const repository = {
    ids: async (_f: unknown, limit: number) => Array.from({ length: Math.min(limit, 3) }, (_, i) => i + 1),
  } as unknown as DeadLetterRepository;
  const deadLetters = { replay: () => new Promise(() => undefined) } as unknown as DeadLetterService;
  const audit = { append: async () => undefined, record: async () => undefined } as unknown as AuditLog;
  const logger = { event: () => undefined } as unknown as JsonLogger;
  return new BulkReplayService(new ReplayJobRepository(dataSource), repository, deadLetters, {} as NodeClient, audit, logger, {
    defaultRate: 10,
    maxRate: 100,
    outcomeWaitMs: 0,
    ...limits,
  });
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

describe('cancelling a bulk replay', () => {
  it.each(['finished', 'failed', 'cancelled'])('refuses a %s job as a conflict, writing nothing', async (state) => {
    const writes: string[] = [];
    const refused = await service({}, { state }, writes)
      .cancel('j', operator)
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'OPS.REPLAY_JOB_ENDED', kind: 'Conflict' });
    expect(writes).toEqual([]);
  });

  it('answers an unknown job as not found', async () => {
    await expect(service({}, null).cancel('j', operator)).rejects.toMatchObject({ code: 'OPS.REPLAY_JOB_NOT_FOUND' });
  });

  it('stores the request of a job with a live process and leaves the ending to that process', async () => {
    const writes: string[] = [];
    await service({}, { state: 'running', heartbeat_at: new Date() }, writes).cancel('j', operator, 'wrong filter');
    expect(writes.some((w) => w.includes('cancel_requested_at'))).toBe(true);
    expect(writes.some((w) => w.includes('state = ?'))).toBe(false);
  });

  it('ends at once a job whose process has made no progress for longer than abandonedAfterMs', async () => {
    const writes: string[] = [];
    await service({}, { state: 'waiting', heartbeat_at: new Date(Date.now() - 120_000) }, writes).cancel('j', operator);
    expect(writes.some((w) => w.includes('cancel_requested_at'))).toBe(true);
    expect(writes.some((w) => w.includes("outcome = 'skipped'"))).toBe(true);
  });
});
