import { isDependencyFailure } from '@tongban/errors';
import { boundAcquire } from './data-source';

type Callback = (err: Error | null, connection?: { release(): void }) => void;

/** A pool whose callers wait until the test hands them a connection or an error. */
function fakePool() {
  const waiting: Callback[] = [];
  return { waiting, getConnection: (cb: Callback) => void waiting.push(cb) };
}

const acquire = (pool: { getConnection(cb: Callback): void }) =>
  new Promise<{ release(): void }>((resolve, reject) => pool.getConnection((err, c) => (err ? reject(err) : resolve(c!))));

describe('boundAcquire', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('hands over a connection that comes in time', async () => {
    const pool = fakePool();
    boundAcquire(pool, 1000);
    const got = acquire(pool);
    const connection = { release: jest.fn() };
    pool.waiting[0](null, connection);
    await expect(got).resolves.toBe(connection);
    expect(connection.release).not.toHaveBeenCalled();
  });

  it('gives up after the timeout with a dependency failure, and hands back a connection that comes later', async () => {
    const pool = fakePool();
    boundAcquire(pool, 1000);
    const got = acquire(pool);
    jest.advanceTimersByTime(1000);
    const error = await got.catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'POOL_ACQUIRE_TIMEOUT' });
    expect(isDependencyFailure(error)).toBe(true);
    const late = { release: jest.fn() };
    pool.waiting[0](null, late);
    expect(late.release).toHaveBeenCalledTimes(1);
  });

  it('names a full wait queue as a dependency failure', async () => {
    const pool = fakePool();
    boundAcquire(pool, 1000);
    const got = acquire(pool);
    pool.waiting[0](new Error('Queue limit reached.'));
    const error = await got.catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'POOL_QUEUE_FULL' });
    expect(isDependencyFailure(error)).toBe(true);
  });
});
