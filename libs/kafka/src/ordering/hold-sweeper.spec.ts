import type { Blocker, Hold, HoldResolution, HoldStatus } from './hold-store.port';
import { HoldSweeper, HoldSweeperOptions } from './hold-sweeper';

const INBOX = 'tongban.500000.inbox';

const hold = (caseKey: string, status: HoldStatus, resolution: HoldResolution | null = null): Hold => ({
  caseKey,
  status,
  blockerRef: `${INBOX}/0/5`,
  blockerEventId: 'e-5',
  errorCode: 'UNEXPECTED',
  errorMessage: 'boom',
  forwardTopic: `${INBOX}.retry.1`,
  resolution,
  heldCount: 1,
  openedAt: new Date(),
  updatedAt: new Date(),
});

const blocker = (caseKey: string, forwardTopic: string): Blocker => ({
  ref: `${INBOX}/0/5`,
  eventId: 'e-5',
  topic: INBOX,
  partition: 0,
  offset: '5',
  key: caseKey,
  value: Buffer.from([5]),
  headers: {},
  forwardTopic,
  forwardHeaders: { 'tongban-attempts': '3' },
  errorCode: 'UNEXPECTED',
  errorMessage: 'boom',
});

function setup(o: { stalled: Hold[]; claimable?: string[]; blockers?: Record<string, string>; closing?: AbortController; sendFails?: boolean }) {
  const calls: string[] = [];
  const closing = o.closing ?? new AbortController();
  const options: HoldSweeperOptions = {
    store: {
      stalled: async (olderThanMs) => {
        calls.push(`stalled ${olderThanMs}`);
        return o.stalled;
      },
      claimStalledForward: async (caseKey) => (o.claimable ?? []).includes(caseKey),
      blocker: async (caseKey) => (o.blockers?.[caseKey] ? blocker(caseKey, o.blockers[caseKey]) : undefined),
      forwarded: async (caseKey, ref, status) => void calls.push(`forwarded ${caseKey} ${ref} ${status}`),
    },
    holds: {
      release: async (caseKey, r) => {
        calls.push(`release ${caseKey} ${r.resolution} from [${r.from.join(',')}]`);
        return { caseKey, resolution: r.resolution, outcome: 'released', applied: 1 };
      },
    },
    publisher: {
      send: async (topic, key, _value, headers) => {
        if (o.sendFails) throw new Error('broker down');
        calls.push(`send ${topic} ${key} ${headers['tongban-attempts']}`);
      },
    },
    logger: { event: (level, message) => void calls.push(`${level}: ${message}`) },
    leaseMs: 30_000,
    intervalMs: 5_000,
    closing: closing.signal,
  };
  return { sweeper: new HoldSweeper(options), calls, closing };
}

describe('sweeping holds a crash left half-way', () => {
  it.each<[string, Parameters<typeof setup>[0], string[]]>([
    ['nothing stalled: nothing done', { stalled: [] }, ['stalled 30000']],
    [
      'a blocker left forwarding to a retry topic: its copy is written again, the case marked retrying',
      { stalled: [hold('SUB-1', 'forwarding')], claimable: ['SUB-1'], blockers: { 'SUB-1': `${INBOX}.retry.1` } },
      ['stalled 30000', `send ${INBOX}.retry.1 SUB-1 3`, `forwarded SUB-1 ${INBOX}/0/5 retrying`, 'warn: blocked event sent on after a crash'],
    ],
    [
      'a blocker left forwarding to the dead-letter topic: its copy is written again, the case marked parked',
      { stalled: [hold('SUB-1', 'forwarding')], claimable: ['SUB-1'], blockers: { 'SUB-1': `${INBOX}.dlq` } },
      ['stalled 30000', `send ${INBOX}.dlq SUB-1 3`, `forwarded SUB-1 ${INBOX}/0/5 parked`, 'warn: blocked event sent on after a crash'],
    ],
    [
      'a forwarding hold another instance took: left to it',
      { stalled: [hold('SUB-1', 'forwarding')], claimable: [], blockers: { 'SUB-1': `${INBOX}.retry.1` } },
      ['stalled 30000'],
    ],
    ['a forwarding hold without a stored blocker: skipped', { stalled: [hold('SUB-1', 'forwarding')], claimable: ['SUB-1'] }, ['stalled 30000']],
    [
      'a release whose lease ran out: released on with its resolution',
      { stalled: [hold('SUB-1', 'releasing', 'discarded'), hold('SUB-2', 'releasing')] },
      ['stalled 30000', 'release SUB-1 discarded from []', 'release SUB-2 applied from []'],
    ],
    [
      'a failure: logged, the sweep ends',
      { stalled: [hold('SUB-1', 'forwarding'), hold('SUB-2', 'releasing')], claimable: ['SUB-1'], blockers: { 'SUB-1': `${INBOX}.dlq` }, sendFails: true },
      ['stalled 30000', 'warn: hold sweep failed'],
    ],
  ])('%s', async (_what, given, calls) => {
    const s = setup(given);
    await s.sweeper.sweep();
    expect(s.calls).toEqual(calls);
  });

  it('runs one sweep at a time', async () => {
    const s = setup({ stalled: [hold('SUB-1', 'releasing')] });
    await Promise.all([s.sweeper.sweep(), s.sweeper.sweep()]);
    expect(s.calls.filter((c) => c.startsWith('stalled'))).toHaveLength(1);
  });

  it('does nothing once the transport closes', async () => {
    const closing = new AbortController();
    closing.abort();
    const s = setup({ stalled: [hold('SUB-1', 'releasing')], closing });
    await s.sweeper.sweep();
    expect(s.calls).toEqual([]);
  });

  describe('on its interval', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('sweeps every interval from start until the transport closes', async () => {
      const s = setup({ stalled: [] });
      s.sweeper.start();
      await jest.advanceTimersByTimeAsync(15_000);
      expect(s.calls).toEqual(['stalled 30000', 'stalled 30000', 'stalled 30000']);
      s.closing.abort();
      await jest.advanceTimersByTimeAsync(15_000);
      expect(s.calls).toHaveLength(3);
    });
  });
});
