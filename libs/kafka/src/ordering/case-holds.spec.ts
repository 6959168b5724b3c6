import { TongbanError } from '@tongban/errors';
import { FAILURE_HEADERS, nextStep, REPLAY_OF_HEADER } from '../failures/failure-headers';
import { Delivery } from '../server/delivery';
import { CaseAdmission, CaseHolds, NO_HOLDS } from './case-holds';
import { HoldNotFoundError, HoldNotReleasableError } from './hold-state';
import type { Blocker, HeldMessage, Hold, HoldResolution, HoldStatus, HoldStore, NewHeldMessage } from './hold-store.port';

const INBOX = 'tongban.500000.inbox';
const NOW = new Date('2026-11-25T08:00:00.000Z');

const delivery = (offset: number, o: Partial<Delivery> = {}): Delivery => ({
  from: `${INBOX}/0/${offset}`,
  fromTopic: INBOX,
  mainTopic: INBOX,
  level: 0,
  origin: { topic: INBOX, partition: 0, offset: String(offset) },
  ref: `${INBOX}/0/${offset}`,
  key: 'SUB-1',
  rawKey: Buffer.from('SUB-1'),
  value: Buffer.from([offset]),
  headers: { 'tongban-event-id': `e-${offset}`, 'tongban-event-type': 'SubsidyApplicationSubmitted' },
  eventId: `e-${offset}`,
  ...o,
});

/** A hold store in memory, as far as the behaviour of `CaseHolds` needs one. */
class FakeHoldStore implements HoldStore {
  holds = new Map<string, Hold & { blocker: Blocker }>();
  held: HeldMessage[] = [];
  calls: string[] = [];
  private ids = 0;

  async openHolds(keys: string[]): Promise<Map<string, Hold>> {
    return new Map([...this.holds].filter(([k, h]) => keys.includes(k) && h.status !== 'closed').map(([k, h]) => [k, { ...h }]));
  }
  async get(caseKey: string): Promise<Hold | undefined> {
    const hold = this.holds.get(caseKey);
    return hold && { ...hold };
  }
  async list(): Promise<Hold[]> {
    return [...this.holds.values()];
  }
  async messages(caseKey: string): Promise<HeldMessage[]> {
    return this.held.filter((m) => m.caseKey === caseKey && ['held', 'blocking'].includes(m.status));
  }
  async append(caseKey: string, m: NewHeldMessage): Promise<boolean> {
    const hold = this.holds.get(caseKey);
    this.calls.push(`append ${m.ref}`);
    if (!hold || hold.status === 'closed') return false;
    this.held.push({ ...m, id: String(++this.ids), caseKey, status: 'held', heldAt: NOW, waitsForRef: hold.blockerRef, waitsForEventId: hold.blockerEventId });
    return true;
  }
  async block(caseKey: string, b: Blocker, heldMessageId?: string): Promise<void> {
    this.calls.push(`block ${b.ref}${heldMessageId ? ` (held ${heldMessageId})` : ''}`);
    this.holds.set(caseKey, {
      caseKey,
      status: 'forwarding',
      blockerRef: b.ref,
      blockerEventId: b.eventId,
      errorCode: b.errorCode,
      errorMessage: b.errorMessage,
      forwardTopic: b.forwardTopic,
      resolution: null,
      heldCount: 0,
      openedAt: NOW,
      updatedAt: NOW,
      blocker: b,
    });
    const m = this.held.find((h) => h.id === heldMessageId);
    if (m) m.status = 'blocking';
  }
  async forwarded(caseKey: string, blockerRef: string, status: 'retrying' | 'parked'): Promise<void> {
    this.calls.push(`forwarded ${blockerRef} ${status}`);
    const hold = this.holds.get(caseKey);
    if (hold?.blockerRef === blockerRef && hold.status === 'forwarding') hold.status = status;
  }
  async blocker(caseKey: string): Promise<Blocker | undefined> {
    return this.holds.get(caseKey)?.blocker;
  }
  async claimRelease(caseKey: string, o: { from: HoldStatus[]; blockerRef?: string; resolution: HoldResolution }): Promise<boolean> {
    const hold = this.holds.get(caseKey);
    if (!hold || !o.from.includes(hold.status) || (o.blockerRef && hold.blockerRef !== o.blockerRef)) return false;
    this.calls.push(`claim ${caseKey} ${o.resolution}`);
    Object.assign(hold, { status: 'releasing', resolution: o.resolution });
    return true;
  }
  async renewLease(): Promise<void> {}
  async nextHeld(caseKey: string): Promise<HeldMessage | undefined> {
    return this.held.find((m) => m.caseKey === caseKey && m.status === 'held');
  }
  async markHeld(id: string, status: 'applied' | 'discarded'): Promise<void> {
    this.calls.push(`mark ${id} ${status}`);
    this.held.find((m) => m.id === id)!.status = status;
  }
  async closeIfEmpty(caseKey: string): Promise<boolean> {
    if (this.held.some((m) => m.caseKey === caseKey && m.status === 'held')) return false;
    this.calls.push(`close ${caseKey}`);
    this.holds.get(caseKey)!.status = 'closed';
    return true;
  }
  async stalled(): Promise<Hold[]> {
    return [];
  }
  async claimStalledForward(): Promise<boolean> {
    return false;
  }
}

function setup(o: { fails?: string[] } = {}) {
  const store = new FakeHoldStore();
  const processed: string[] = [];
  const sent: { topic: string; headers: Record<string, string> }[] = [];
  const holds: CaseHolds = new CaseHolds({
    store,
    pacer: { untilDone: (_what, fn) => fn() },
    publisher: { send: async (topic, _key, _value, headers) => void sent.push({ topic, headers }) },
    logger: { event: () => undefined },
    leaseMs: 30_000,
    // A released message that fails is sent on, as the transport does: it becomes the case's blocker.
    process: async (d) => {
      processed.push(d.ref);
      if (!o.fails?.includes(d.ref)) return 'applied';
      const step = nextStep({ delaysMs: [5_000] }, d.mainTopic, 0, true, NOW);
      await holds.block(d, { step, headers: {}, error: new Error('boom') });
      await holds.forwarded(d, step);
      return 'sent-on';
    },
  });
  return { store, holds, processed, sent };
}

/** The case's first message failed and its copy went to `.retry.1` (or the dead-letter topic). */
async function blockedBy(s: ReturnType<typeof setup>, d: Delivery, to: 'retry' | 'dead-letter' = 'retry') {
  const step = nextStep({ delaysMs: [5_000] }, INBOX, to === 'retry' ? 0 : 1, true, NOW);
  await s.holds.block(d, { step, headers: { [FAILURE_HEADERS.errorCode]: 'UNEXPECTED' }, error: new Error('boom') });
  await s.holds.forwarded(d, step);
}

describe('admitting the messages of a batch to their cases', () => {
  it.each<[string, (s: ReturnType<typeof setup>) => Promise<void>, Delivery, CaseAdmission]>([
    ['a message of a case without a hold is processed', async () => undefined, delivery(9), 'process'],
    ['a message without a key is processed', async (s) => blockedBy(s, delivery(5)), delivery(9, { key: '' }), 'process'],
    ['a later message of a blocked case is held', async (s) => blockedBy(s, delivery(5)), delivery(9), 'held'],
    [
      'the blocker’s retry copy goes through as the blocker',
      async (s) => blockedBy(s, delivery(5)),
      delivery(5, { fromTopic: `${INBOX}.retry.1`, level: 1 }),
      'blocker',
    ],
    [
      'an operator’s replay of the blocker goes through as the blocker',
      async (s) => blockedBy(s, delivery(5), 'dead-letter'),
      delivery(77, { replayOf: `${INBOX}/0/5` }),
      'blocker',
    ],
    ['a message of another case is processed', async (s) => blockedBy(s, delivery(5)), delivery(9, { key: 'SUB-2' }), 'process'],
  ])('%s', async (_what, given, d, admission) => {
    const s = setup();
    await given(s);
    const open = await s.holds.openHolds([d.key]);
    expect(await s.holds.admit(open, d)).toBe(admission);
    expect(s.store.held.map((m) => m.ref)).toEqual(admission === 'held' ? [d.ref] : []);
  });

  it('processes a message whose hold closed since the batch read it, and forgets that hold', async () => {
    const s = setup();
    await blockedBy(s, delivery(5));
    const open = await s.holds.openHolds(['SUB-1']);
    s.store.holds.get('SUB-1')!.status = 'closed';
    expect(await s.holds.admit(open, delivery(9))).toBe('process');
    expect(open.has('SUB-1')).toBe(false);
  });

  it('holds a message behind a case blocked earlier in the same batch', async () => {
    const s = setup();
    const open = await s.holds.openHolds(['SUB-1']);
    await blockedBy(s, delivery(5));
    await s.holds.reread(open, 'SUB-1');
    expect(await s.holds.admit(open, delivery(6))).toBe('held');
  });
});

describe('blocking a case on the failure path', () => {
  it('stores the blocker with its own headers, the copy it is sent as, and the error', async () => {
    const s = setup();
    await s.holds.block(delivery(5, { headers: { 'tongban-event-id': 'e-5', [FAILURE_HEADERS.attempts]: '3' } }), {
      step: { kind: 'dead-letter', topic: `${INBOX}.dlq` },
      headers: { [FAILURE_HEADERS.errorCode]: 'VALIDATION_FAILED' },
      error: new TongbanError('VALIDATION_FAILED', 'no applicant'),
    });
    expect(s.store.holds.get('SUB-1')!.blocker).toEqual({
      ref: `${INBOX}/0/5`,
      eventId: 'e-5',
      topic: INBOX,
      partition: 0,
      offset: '5',
      key: 'SUB-1',
      value: Buffer.from([5]),
      headers: { 'tongban-event-id': 'e-5' },
      forwardTopic: `${INBOX}.dlq`,
      forwardHeaders: { [FAILURE_HEADERS.errorCode]: 'VALIDATION_FAILED' },
      errorCode: 'VALIDATION_FAILED',
      errorMessage: 'no applicant',
    });
  });

  it.each([
    ['a retry topic', 'retry', 'retrying'],
    ['the dead-letter topic', 'dead-letter', 'parked'],
  ] as const)('marks the case once the copy to %s is written', async (_what, to, status) => {
    const s = setup();
    await blockedBy(s, delivery(5), to);
    expect(s.store.holds.get('SUB-1')!.status).toBe(status);
  });

  it('blocks nothing for a message without a key', async () => {
    const s = setup();
    await blockedBy(s, delivery(5, { key: '' }));
    expect(s.store.calls).toEqual([]);
  });
});

describe('releasing a hold', () => {
  it.each<[string, string[], { outcome: string; applied: number; blockerRef?: string }, string[], string]>([
    ['processes the held messages in order and closes the hold', [], { outcome: 'released', applied: 2 }, [`${INBOX}/0/6`, `${INBOX}/0/7`], 'closed'],
    [
      'stops at a held message that fails, which now blocks the rest',
      [`${INBOX}/0/6`],
      { outcome: 'reblocked', applied: 0, blockerRef: `${INBOX}/0/6` },
      [`${INBOX}/0/6`],
      'retrying',
    ],
  ])('when the blocker’s retry is applied, %s', async (_what, fails, result, processed, status) => {
    const s = setup({ fails });
    await blockedBy(s, delivery(5));
    const open = await s.holds.openHolds(['SUB-1']);
    await s.holds.admit(open, delivery(6));
    await s.holds.admit(open, delivery(7));
    const release = jest.spyOn(s.holds, 'release');
    await s.holds.blockerApplied(open, delivery(5, { level: 1 }), async () => undefined);
    expect(await release.mock.results[0].value).toMatchObject({ caseKey: 'SUB-1', resolution: 'applied', ...result });
    expect(s.processed).toEqual(processed);
    expect(s.store.holds.get('SUB-1')!.status).toBe(status);
    expect(open.has('SUB-1')).toBe(false);
  });

  it('marks a held message applied only after it was processed', async () => {
    const s = setup();
    await blockedBy(s, delivery(5));
    await s.holds.admit(await s.holds.openHolds(['SUB-1']), delivery(6));
    s.store.calls = [];
    await s.holds.release('SUB-1', { from: ['retrying'], blockerRef: `${INBOX}/0/5`, resolution: 'applied' });
    expect(s.store.calls).toEqual(['claim SUB-1 applied', 'mark 1 applied', 'close SUB-1']);
  });

  it('answers busy when someone else has the hold', async () => {
    const s = setup();
    await blockedBy(s, delivery(5));
    expect(await s.holds.release('SUB-1', { from: ['parked'], resolution: 'discarded' })).toEqual({
      caseKey: 'SUB-1',
      resolution: 'discarded',
      outcome: 'busy',
      applied: 0,
    });
  });
});

describe('administering holds', () => {
  it.each<[string, 'retry' | 'dead-letter' | 'none', 'replayed' | 'discarded', new (...a: never[]) => Error]>([
    ['a case without a hold', 'none', 'discarded', HoldNotFoundError],
    ['a hold whose blocker is still retried', 'retry', 'discarded', HoldNotReleasableError],
    ['a hold whose blocker is still retried, for a replay', 'retry', 'replayed', HoldNotReleasableError],
  ])('refuses to release %s', async (_what, blocked, resolution, error) => {
    const s = setup();
    if (blocked !== 'none') await blockedBy(s, delivery(5), blocked);
    await expect(s.holds.releaseHold('SUB-1', resolution)).rejects.toBeInstanceOf(error);
  });

  it('discards a parked blocker and processes what waited behind it', async () => {
    const s = setup();
    await blockedBy(s, delivery(5), 'dead-letter');
    await s.holds.admit(await s.holds.openHolds(['SUB-1']), delivery(6));
    expect(await s.holds.releaseHold('SUB-1', 'discarded')).toEqual({ caseKey: 'SUB-1', resolution: 'discarded', outcome: 'released', applied: 1 });
    expect(s.processed).toEqual([`${INBOX}/0/6`]);
  });

  it.each([
    ['re-publishes the blocker’s bytes to its topic with the reference it replays', undefined, [INBOX]],
    ['leaves the re-publishing to a caller that did it', false, []],
  ])('for a replay, %s', async (_what, republish, topics) => {
    const s = setup();
    await blockedBy(s, delivery(5), 'dead-letter');
    const result = await s.holds.releaseHold('SUB-1', 'replayed', { republish });
    expect(result).toEqual({ caseKey: 'SUB-1', resolution: 'replayed', outcome: 'replay-published', applied: 0, blockerRef: `${INBOX}/0/5` });
    expect(s.sent.map((m) => m.topic)).toEqual(topics);
    if (topics.length) expect(s.sent[0].headers).toEqual({ ...delivery(5).headers, [REPLAY_OF_HEADER]: `${INBOX}/0/5` });
  });

  it('describes a hold and the messages waiting in it, without their bytes', async () => {
    const s = setup();
    await blockedBy(s, delivery(5));
    await s.holds.admit(await s.holds.openHolds(['SUB-1']), delivery(6));
    const described = await s.holds.describeHold('SUB-1');
    expect(described?.hold).toMatchObject({ caseKey: 'SUB-1', status: 'retrying', blockerRef: `${INBOX}/0/5` });
    expect(described?.messages).toEqual([
      {
        id: '1',
        ref: `${INBOX}/0/6`,
        eventId: 'e-6',
        eventType: 'SubsidyApplicationSubmitted',
        status: 'held',
        waitsForRef: `${INBOX}/0/5`,
        waitsForEventId: 'e-5',
        heldAt: NOW,
      },
    ]);
    expect(await s.holds.describeHold('SUB-9')).toBeUndefined();
  });

  it('refuses every call on a consumer without holds', async () => {
    await expect(NO_HOLDS.listHolds()).rejects.toMatchObject({ code: 'HOLD.DISABLED' });
    await expect(NO_HOLDS.describeHold('SUB-1')).rejects.toMatchObject({ code: 'HOLD.DISABLED' });
    await expect(NO_HOLDS.releaseHold('SUB-1', 'discarded')).rejects.toMatchObject({ code: 'HOLD.DISABLED' });
  });
});
