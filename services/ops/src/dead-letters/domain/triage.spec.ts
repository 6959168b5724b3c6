import { ageBucket, ageIntervals, likeContains, residentIdNumber, shapePreview } from './triage';

describe('dead-letter triage', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const H = 3_600_000;

  it.each([
    [0, '<1h'],
    [-5 * 60_000, '<1h'],
    [H - 1, '<1h'],
    [H, '1h-1d'],
    [24 * H - 1, '1h-1d'],
    [24 * H, '1d-7d'],
    [7 * 24 * H - 1, '1d-7d'],
    [7 * 24 * H, '>7d'],
    [400 * 24 * H, '>7d'],
  ])('a letter parked %d ms ago is in %s', (ms, bucket) => {
    expect(ageBucket(ago(ms), now)).toBe(bucket);
  });

  it('the SQL intervals put each time in the bucket ageBucket names', () => {
    const intervals = ageIntervals(now);
    for (const ms of [-60_000, 0, H - 1, H, 5 * H, 24 * H, 3 * 24 * H, 7 * 24 * H, 30 * 24 * H]) {
      const t = ago(ms).getTime();
      const inside = intervals.filter((i) => (i.from === undefined || t > i.from.getTime()) && (i.to === undefined || t <= i.to.getTime()));
      expect(inside.map((i) => i.bucket)).toEqual([ageBucket(ago(ms), now)]);
    }
  });

  it.each([
    ['timeout', '%timeout%'],
    ['100%', '%100\\%%'],
    ['case_id', '%case\\_id%'],
    ['a\\b', '%a\\\\b%'],
    ['%_\\', '%\\%\\_\\\\%'],
  ])('LIKE pattern of %j is %j', (text, pattern) => {
    expect(likeContains(text)).toBe(pattern);
  });

  it.each([
    ['500111196804170022', '500111196804170022'],
    [' 51010419900101123x ', '51010419900101123X'],
    ['50011119680417002', undefined],
    ['5001111968041700221', undefined],
    ['50011119680417002Y', undefined],
    ['X00111196804170022', undefined],
    [500111196804170022, undefined],
    [undefined, undefined],
  ])('resident ID number %j reads as %j', (value, expected) => {
    expect(residentIdNumber(value)).toBe(expected);
  });

  it('shapes a preview: the limit caps what is replayed, the sample is the first letters, the rest counted', () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({
      id: i + 1,
      eventType: 'SubsidyApplicationSubmitted',
      caseId: `c-${i}`,
      errorCode: 'E',
      region: '500000',
      parkedAt: now,
    }));
    expect(shapePreview(120, 50, 20, rows, 20)).toMatchObject({ matching: 120, willReplay: 50, ratePerSecond: 20, estimatedSeconds: 3, more: 30 });
    expect(shapePreview(120, 50, 20, rows, 20).sample.map((s) => s.id)).toEqual(rows.slice(0, 20).map((r) => r.id));
    expect(shapePreview(3, 50, 2, rows.slice(0, 3), 20)).toMatchObject({ willReplay: 3, estimatedSeconds: 2, more: 0 });
    expect(shapePreview(0, 50, 20, [], 20)).toMatchObject({ willReplay: 0, estimatedSeconds: 0, sample: [], more: 0 });
    expect(Object.keys(shapePreview(1, 1, 1, rows, 20).sample[0]).sort()).toEqual(['caseId', 'errorCode', 'eventType', 'id', 'parkedAt', 'region']);
  });
});
