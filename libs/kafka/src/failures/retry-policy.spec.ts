import { ConfigError } from '@tongban/config';
import { DEFAULT_RETRY_POLICY, parseDuration, parseRetryDelays, readRetryPolicy } from './retry-policy';

describe('retry delays', () => {
  it.each([
    ['250ms', 250],
    ['5s', 5_000],
    ['1m', 60_000],
    ['10m', 600_000],
    ['1.5h', 5_400_000],
    [' 2S ', 2_000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['5', '', 'five seconds', '-1s', '1d'])('refuses "%s" as a duration', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });

  it('reads the documented default list', () => {
    expect(parseRetryDelays('5s,1m,10m')).toEqual([5_000, 60_000, 600_000]);
  });

  it('reads none as no retry topics at all', () => {
    expect(parseRetryDelays('none')).toEqual([]);
  });

  it('refuses more than ten levels', () => {
    expect(() => parseRetryDelays(Array(11).fill('1s').join(','))).toThrow(/at most 10/);
  });

  it('defaults to three tries in place and 5s, 1m, 10m', () => {
    expect(readRetryPolicy({})).toEqual(DEFAULT_RETRY_POLICY);
  });

  it('takes the policy from the environment', () => {
    expect(readRetryPolicy({ TONGBAN_RETRY_DELAYS: '1s,2s', TONGBAN_RETRY_IN_PLACE_ATTEMPTS: '2', TONGBAN_RETRY_IN_PLACE_BACKOFF_MS: '10' })).toEqual({
      inPlaceAttempts: 2,
      inPlaceBackoffMs: 10,
      delaysMs: [1_000, 2_000],
    });
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      readRetryPolicy({ TONGBAN_RETRY_DELAYS: '5,1m', TONGBAN_RETRY_IN_PLACE_ATTEMPTS: '0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringContaining('TONGBAN_RETRY_DELAYS'),
      expect.stringContaining('TONGBAN_RETRY_IN_PLACE_ATTEMPTS'),
    ]);
  });
});
