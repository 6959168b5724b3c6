import { EnvReader } from '@tongban/config';
import { parseDuration, parseRetention, readRetentionConfig } from './retention';

describe('parseDuration', () => {
  it.each([
    ['180d', 180 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['30m', 1_800_000],
    ['45s', 45_000],
    ['0d', 0],
    ['180', undefined],
    ['1w', undefined],
    ['-1d', undefined],
    ['', undefined],
  ])('%s → %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});

describe('parseRetention', () => {
  const defaults = { casePayloads: '180d', outbox: '7d' };

  it('keeps the defaults for kinds not named', () => {
    expect(parseRetention('outbox=1d', defaults)).toEqual({ keepMs: { casePayloads: 180 * 86_400_000, outbox: 86_400_000 }, problems: [] });
  });

  it('names an unknown kind and a bad duration', () => {
    const { problems } = parseRetention('casePayload=1d,outbox=forever', defaults);
    expect(problems).toEqual([expect.stringContaining('"casePayload" is not a kind kept here'), expect.stringContaining('"outbox=forever" must be outbox=')]);
  });
});

describe('readRetentionConfig', () => {
  it('reads the kinds and the interval, and names a bad interval', () => {
    const ok = readRetentionConfig(new EnvReader({ TONGBAN_RETENTION: 'outbox=2d', TONGBAN_RETENTION_INTERVAL: 'off' }));
    expect(ok).toEqual({ keepMs: expect.objectContaining({ outbox: 2 * 86_400_000, casePayloads: 180 * 86_400_000 }), intervalMs: 0 });
    const r = new EnvReader({ TONGBAN_RETENTION_INTERVAL: 'hourly' });
    readRetentionConfig(r);
    expect(() => r.done()).toThrow(/TONGBAN_RETENTION_INTERVAL must be/);
  });
});
