import { ValidationError } from '@tongban/errors';
import type { DataSource } from 'typeorm';
import { CaseQueryRepository } from '../casework/infrastructure/case-query.repository';
import { ArrivalsController } from './arrivals.controller';

function controller(rows: unknown[] = []) {
  const calls: unknown[][] = [];
  const ds = { query: async (_sql: string, params: unknown[]) => (calls.push(params), rows) } as unknown as DataSource;
  return { c: new ArrivalsController(new CaseQueryRepository(ds), 'tongban.500000.inbox'), calls };
}

describe('GET /internal/arrivals', () => {
  it('reads the other province’s events from the inbox and its retry topics, by the time they were recorded', async () => {
    const { c, calls } = controller([{ event_id: 'e1', case_id: 'SUB-1', outcome: 'applied', received_at: new Date('2026-11-30T03:00:01.5Z') }]);
    expect(await c.list('510000', '2026-11-30T03:00:00.000Z', 'E0', '10')).toEqual({
      arrivals: [{ eventId: 'e1', caseId: 'SUB-1', outcome: 'applied', at: '2026-11-30T03:00:01.500Z' }],
    });
    const since = new Date('2026-11-30T03:00:00.000Z');
    expect(calls).toEqual([[since, since, 'e0', '51%', 'tongban.500000.inbox', 'tongban.500000.inbox.retry.%', 10]]);
  });

  it('starts at the beginning, 500 at a time, unless told otherwise', async () => {
    const { c, calls } = controller();
    await c.list('510000');
    expect(calls[0]).toEqual([new Date(0), new Date(0), '', '51%', 'tongban.500000.inbox', 'tongban.500000.inbox.retry.%', 500]);
  });

  it.each([
    ['no province', [undefined], 'from'],
    ['a city for a province', ['510100'], 'from'],
    ['a time that is none', ['510000', 'yesterday'], 'since'],
    ['an event id with SQL in it', ['510000', undefined, "' OR 1=1"], 'afterEventId'],
    ['a limit too large', ['510000', undefined, undefined, '5000'], 'limit'],
    ['a limit that is no number', ['510000', undefined, undefined, 'all'], 'limit'],
  ])('refuses %s with 400 before asking the database', async (_what, args, path) => {
    const { c, calls } = controller();
    const call = c.list(...(args as [string?, string?, string?, string?]));
    await expect(call).rejects.toBeInstanceOf(ValidationError);
    await expect(call).rejects.toMatchObject({ problems: [expect.objectContaining({ path })] });
    expect(calls).toEqual([]);
  });
});
