import { decideRelease, mergeHolds } from './hold-decisions';

describe('mergeHolds', () => {
  it('gives every node’s holds with their node, newest change first, and says which node did not answer', () => {
    const merged = mergeHolds(
      [
        {
          node: '510000',
          ok: true,
          holds: [
            { caseKey: 'A', updatedAt: '2026-11-30T01:00:00.000Z' },
            { caseKey: 'B', updatedAt: '2026-11-30T03:00:00.000Z' },
          ],
        },
        { node: '500000', ok: true, holds: [{ caseKey: 'C', updatedAt: '2026-11-30T02:00:00.000Z' }] },
        { node: '520000', ok: false, error: 'timeout' },
      ],
      10,
    );
    expect(merged.holds.map((h) => [h.node, h.caseKey])).toEqual([
      ['510000', 'B'],
      ['500000', 'C'],
      ['510000', 'A'],
    ]);
    expect(merged.nodes).toEqual([
      { node: '510000', ok: true, count: 2 },
      { node: '500000', ok: true, count: 1 },
      { node: '520000', ok: false, error: 'timeout' },
    ]);
  });

  it('keeps at most limit holds', () => {
    const holds = Array.from({ length: 5 }, (_, i) => ({ caseKey: `K${i}`, updatedAt: `2026-11-30T0${i}:00:00.000Z` }));
    expect(mergeHolds([{ node: 'n', ok: true, holds }], 2).holds.map((h) => h.caseKey)).toEqual(['K4', 'K3']);
  });
});

describe('decideRelease', () => {
  const none = () => undefined;
  it.each([
    ['held by one node, no parked letter', { holding: ['510000'], unreachable: [] }, none, { kind: 'release', node: '510000' }],
    ['held by one node while another is down', { holding: ['510000'], unreachable: ['500000'] }, none, { kind: 'release', node: '510000' }],
    [
      'held by one node, its blocker parked in ops',
      { holding: ['510000'], unreachable: [] },
      (n: string) => (n === '510000' ? 17 : undefined),
      { kind: 'use-dead-letter', deadLetterId: 17 },
    ],
    ['held by two nodes', { holding: ['510000', '500000'], unreachable: [] }, none, { kind: 'ambiguous', nodes: ['510000', '500000'] }],
    ['held by none', { holding: [], unreachable: [] }, none, { kind: 'not-found' }],
    ['held by none that answered, one did not', { holding: [], unreachable: ['500000'] }, none, { kind: 'unavailable', nodes: ['500000'] }],
  ])('%s', (_name, lookup, parked, decision) => {
    expect(decideRelease(lookup, parked)).toEqual(decision);
  });
});
