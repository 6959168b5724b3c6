import type { OpenDeadline } from './case-query.repository';
import { OpenDeadlines, TimerReconciler } from './timer.reconciler';

/** Open deadlines in key order, read a page at a time as the repository reads them. */
function table(rows: OpenDeadline[]): OpenDeadlines & { pages: number; failAtPage?: number } {
  const sorted = [...rows].sort((a, b) => (a.caseId + '\0' + a.name < b.caseId + '\0' + b.name ? -1 : 1));
  const t = {
    pages: 0,
    failAtPage: undefined as number | undefined,
    async openDeadlines(after: { caseId: string; name: string } | undefined, limit: number) {
      t.pages++;
      if (t.failAtPage === t.pages) throw new Error('connection lost');
      const from = after ? sorted.findIndex((r) => r.caseId + '\0' + r.name > after.caseId + '\0' + after.name) : 0;
      return from < 0 ? [] : sorted.slice(from, from + limit);
    },
  };
  return t;
}

const deadline = (caseId: string, name: string, ownerDivision: string): OpenDeadline => ({
  caseId,
  name,
  dueAt: new Date('2026-12-01T00:00:00Z'),
  ownerDivision,
});

describe('TimerReconciler', () => {
  const logger = { event: jest.fn() };

  it('schedules every open deadline the node owns, across pages, and no other', async () => {
    const rows = [
      ...Array.from({ length: 7 }, (_, i) => deadline(`SUB-500111-${i}`, 'decision', '500111')),
      deadline('SUB-500111-3', 'payment', '500111'),
      deadline('SUB-510104-1', 'decision', '510104'),
    ];
    const t = table(rows);
    const scheduled: string[] = [];
    const r = new TimerReconciler(t, { schedule: async (j) => void scheduled.push(`${j.caseId}/${j.name}`) }, '500000', 60_000, logger, 3);
    expect(await r.reconcile()).toBe(8);
    expect(new Set(scheduled).size).toBe(8);
    expect(scheduled).toContain('SUB-500111-3/payment');
    expect(scheduled.some((s) => s.startsWith('SUB-510104'))).toBe(false);
    expect(t.pages).toBe(4); // 9 rows, 3 a page: the third page is full, so a fourth read finds it empty
  });

  it('counts what it scheduled before a failure and logs it, and tries again on the next pass', async () => {
    const t = table(Array.from({ length: 5 }, (_, i) => deadline(`C-${i}`, 'd', '500111')));
    t.failAtPage = 2;
    let n = 0;
    const r = new TimerReconciler(t, { schedule: async () => void n++ }, '500000', 60_000, logger, 2);
    expect(await r.reconcile()).toBe(2);
    expect(logger.event).toHaveBeenCalledWith('warn', expect.stringContaining('will try again'), expect.objectContaining({ scheduledBeforeFailure: 2 }));
    t.failAtPage = undefined;
    expect(await r.reconcile()).toBe(5);
  });

  it('does not start a pass while one is still running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = table([deadline('C-1', 'd', '500111')]);
    const r = new TimerReconciler(t, { schedule: () => gate }, '500000', 60_000, logger);
    const first = r.reconcile();
    expect(await r.reconcile()).toBe(0);
    release();
    expect(await first).toBe(1);
  });
});
