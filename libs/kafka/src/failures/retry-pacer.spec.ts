import { WorkInterruptedError } from '../server/transport.errors';
import { FAILURE_HEADERS } from './failure-headers';
import { RetryPacer } from './retry-pacer';

const NOW = Date.parse('2026-11-25T08:00:00.000Z');

function pacer(o: { closing?: AbortController } = {}) {
  const slept: number[] = [];
  const logged: string[] = [];
  const closing = o.closing ?? new AbortController();
  const p = new RetryPacer({
    policy: { inPlaceBackoffMs: 200, delaysMs: [5_000, 60_000, 600_000] },
    logger: { event: (_level, message) => void logged.push(message) },
    closing: closing.signal,
    sleep: async (ms) => void slept.push(ms),
    now: () => NOW,
  });
  return { p, slept, logged, closing };
}

const copy = (headers: Record<string, string>, timestamp = String(NOW - 1_000)) => ({
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
  timestamp,
});

describe('the pace of retries', () => {
  it.each([
    [1, 200],
    [2, 400],
    [3, 800],
  ])('waits %i×backoff after in-place try %i', (attempt, ms) => {
    expect(pacer().p.inPlaceDelayMs(attempt)).toBe(ms);
  });

  it.each([
    [1, 200],
    [3, 800],
    [5, 3_200],
    [6, 5_000],
    [40, 5_000],
  ])('waits for a dependency the %i-th time for %i ms', (waits, ms) => {
    expect(pacer().p.dependencyDelayMs(waits)).toBe(ms);
  });

  it.each([
    [1, 200],
    [10, 2_000],
    [30, 5_000],
  ])('repeats a storage write after failure %i in %i ms', (tries, ms) => {
    expect(pacer().p.storageDelayMs(tries)).toBe(ms);
  });

  it('sleeps the in-place and dependency delays', async () => {
    const { p, slept } = pacer();
    await p.backOffInPlace(2);
    await p.waitForDependency(1);
    expect(slept).toEqual([400, 200]);
  });
});

describe('when a copy on a retry topic is due', () => {
  it.each([
    ['the time in its header', 1, copy({ [FAILURE_HEADERS.retryDueAt]: '2026-11-25T08:00:05.000Z' }), NOW + 5_000],
    ['its timestamp plus the delay of .retry.1', 1, copy({}), NOW - 1_000 + 5_000],
    ['its timestamp plus the delay of .retry.2', 2, copy({}), NOW - 1_000 + 60_000],
    ['its timestamp when the level has no delay', 9, copy({}), NOW - 1_000],
    ['its timestamp plus the delay when the header is not a time', 1, copy({ [FAILURE_HEADERS.retryDueAt]: 'soon' }), NOW - 1_000 + 5_000],
  ])('is %s', (_what, level, message, due) => {
    expect(pacer().p.dueAt(level, message)).toBe(due);
  });
});

describe('pausing a retry partition until its copy is due', () => {
  beforeEach(() => jest.useFakeTimers({ now: NOW }));
  afterEach(() => jest.useRealTimers());

  it.each([
    ['an inbox record', 0, copy({ [FAILURE_HEADERS.retryDueAt]: '2026-11-25T08:00:05.000Z' })],
    ['a copy already due', 1, copy({ [FAILURE_HEADERS.retryDueAt]: '2026-11-25T07:59:59.000Z' })],
  ])('reads %s at once', (_what, level, message) => {
    const pause = jest.fn();
    expect(pacer().p.deferUntilDue('t.retry.1', 0, level, message, pause)).toBe(false);
    expect(pause).not.toHaveBeenCalled();
  });

  it('pauses the partition of a copy not due and resumes it when it is', () => {
    const { p } = pacer();
    const resume = jest.fn();
    const deferred = p.deferUntilDue('t.retry.1', 2, 1, copy({ [FAILURE_HEADERS.retryDueAt]: '2026-11-25T08:00:05.000Z' }), () => resume);
    expect(deferred).toBe(true);
    jest.advanceTimersByTime(4_999);
    expect(resume).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(resume).toHaveBeenCalledTimes(1);
    expect(p.pausedPartitions).toBe(0);
  });

  it('keeps one timer per partition, the latest', () => {
    const { p } = pacer();
    const first = jest.fn();
    const second = jest.fn();
    p.deferUntilDue('t.retry.1', 2, 1, copy({ [FAILURE_HEADERS.retryDueAt]: '2026-11-25T08:00:05.000Z' }), () => first);
    p.deferUntilDue('t.retry.1', 2, 1, copy({ [FAILURE_HEADERS.retryDueAt]: '2026-11-25T08:00:09.000Z' }), () => second);
    expect(p.pausedPartitions).toBe(1);
    jest.advanceTimersByTime(10_000);
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('drops its timers when the transport closes, resuming nothing', () => {
    const { p, closing } = pacer();
    const resume = jest.fn();
    p.deferUntilDue('t.retry.1', 0, 1, copy({ [FAILURE_HEADERS.retryDueAt]: '2026-11-25T08:00:05.000Z' }), () => resume);
    closing.abort();
    jest.advanceTimersByTime(10_000);
    expect(resume).not.toHaveBeenCalled();
    expect(p.pausedPartitions).toBe(0);
  });
});

describe('repeating a storage or broker write until it is done', () => {
  const failing = (failures: unknown[], result = 'done') => {
    const left = [...failures];
    return jest.fn(async () => {
      if (left.length) throw left.shift();
      return result;
    });
  };
  const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });

  it('tries again after each failure, pausing longer each time, and logs each', async () => {
    const { p, slept, logged } = pacer();
    const fn = failing([down, new Error('deadlock'), down]);
    await expect(p.untilDone('block the case', fn)).resolves.toBe('done');
    expect(fn).toHaveBeenCalledTimes(4);
    expect(slept).toEqual([200, 400, 600]);
    expect(logged).toEqual(Array(3).fill('could not block the case, trying again'));
  });

  it.each([
    ['a dependency that stays down ends with WorkInterruptedError', down, WorkInterruptedError],
    ['any other failure is thrown as it is', new Error('deadlock'), Error],
  ])('once the transport closes, gives up after the fourth try: %s', async (_what, error, expected) => {
    const closing = new AbortController();
    closing.abort();
    const { p } = pacer({ closing });
    const fn = failing(Array(10).fill(error));
    await expect(p.untilDone('write', fn)).rejects.toBeInstanceOf(expected);
    expect(fn).toHaveBeenCalledTimes(4);
  });
});
