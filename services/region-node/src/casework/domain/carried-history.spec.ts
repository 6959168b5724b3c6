import { carriedHistoryOf, entriesToCarry, MAX_CARRIED_ENTRIES, toCarriedEntry } from './carried-history';

const entry = (eventId: string, occurredAt: string, extra: Record<string, unknown> = {}) => ({
  eventId,
  eventType: 'SubsidyApplicationAcknowledged',
  sourceRegion: '512021',
  targetRegion: '510104',
  occurredAt,
  outcome: 'applied',
  stateAfter: 'under-review',
  ...extra,
});

describe('history carried with a hand-over', () => {
  it('reads the entries (a hand-over without them carries nothing)', () => {
    expect(carriedHistoryOf({})).toEqual([]);
    expect(carriedHistoryOf({ priorHistory: [] })).toEqual([]);
    expect(carriedHistoryOf({ priorHistory: [entry('a', '2026-11-03T02:00:00Z')] })).toEqual([
      {
        eventId: 'a',
        eventType: 'SubsidyApplicationAcknowledged',
        sourceRegion: '512021',
        targetRegion: '510104',
        occurredAt: new Date('2026-11-03T02:00:00Z'),
        outcome: 'applied',
        stateAfter: 'under-review',
      },
    ]);
  });

  it('refuses malformed entries', () => {
    expect(() => carriedHistoryOf({ priorHistory: 'x' })).toThrow(/must be a list/);
    expect(() => carriedHistoryOf({ priorHistory: [entry('a', 'never')] })).toThrow(/occurredAt/);
    expect(() => carriedHistoryOf({ priorHistory: [entry('a', '2026-11-03T02:00:00Z', { outcome: 'done' })] })).toThrow(/outcome/);
    expect(() => carriedHistoryOf({ priorHistory: [entry('a', '2026-11-03T02:00:00Z', { sourceRegion: 'SC' })] })).toThrow(/division codes/);
    expect(() => carriedHistoryOf({ priorHistory: [entry('a', '2026-11-03T02:00:00Z'), entry('a', '2026-11-04T02:00:00Z')] })).toThrow(/twice/);
    const many = Array.from({ length: MAX_CARRIED_ENTRIES + 1 }, (_, i) => entry(`e${i}`, '2026-11-03T02:00:00Z'));
    expect(() => carriedHistoryOf({ priorHistory: many })).toThrow(/at most/);
  });

  it('writes only what the node does not keep yet, oldest first (a redelivery adds nothing)', () => {
    const entries = carriedHistoryOf({
      priorHistory: [entry('b', '2026-11-03T02:00:00Z'), entry('a', '2026-11-02T02:00:00Z'), entry('c', '2026-11-04T02:00:00Z')],
    });
    expect(entriesToCarry(entries, []).map((e) => e.eventId)).toEqual(['a', 'b', 'c']);
    expect(entriesToCarry(entries, ['b']).map((e) => e.eventId)).toEqual(['a', 'c']);
    expect(entriesToCarry(entries, ['a', 'b', 'c'])).toEqual([]);
  });

  it('leaves the payload of a kept row behind', () => {
    const row = { ...entry('a', '2026-11-03T02:00:00Z'), payload: { applicant: { idNumber: '500111196804170022' } } };
    expect(toCarriedEntry(row)).not.toHaveProperty('payload');
  });
});
