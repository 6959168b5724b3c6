import { JsonLogger } from './json-logger';
import { stopOnSignals } from './shutdown';

describe('stopOnSignals', () => {
  const logger = new JsonLogger('test', undefined, 'error');
  afterEach(() => {
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
  });

  it('exits 0 once close has finished', async () => {
    const exits: number[] = [];
    stopOnSignals(
      logger,
      1000,
      async () => undefined,
      (c) => exits.push(c),
    );
    process.emit('SIGTERM', 'SIGTERM');
    await new Promise((r) => setTimeout(r, 20));
    expect(exits).toEqual([0]);
  });

  it('exits 1 at the deadline when close hangs, and only once', async () => {
    const exits: number[] = [];
    const started = Date.now();
    stopOnSignals(
      logger,
      100,
      () => new Promise<void>(() => undefined),
      (c) => exits.push(c),
    );
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    await new Promise((r) => setTimeout(r, 250));
    expect(exits).toEqual([1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });
});
