import { EventEmitter } from 'node:events';
import { ConsumerSupervisor } from './consumer-supervisor';

/** A consumer as far as the supervisor sees it: crash events, and connect. */
function fakeConsumer(connectFailures = 0) {
  const emitter = new EventEmitter();
  let failures = connectFailures;
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: (name: string, listener: (e: unknown) => void) => emitter.on(name, listener),
    connect: jest.fn(async () => {
      if (failures-- > 0) throw new Error('connect ECONNREFUSED');
    }),
    crash: (restart: boolean) => emitter.emit('consumer.crash', { payload: { error: new Error('The coordinator is not aware of this member'), restart } }),
  };
  return consumer;
}

describe('ConsumerSupervisor', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());
  const log = { event: jest.fn() };

  it('starts a consumer again that kafkajs stopped for good, and tells its health', async () => {
    const c = fakeConsumer();
    const run = jest.fn(async () => undefined);
    const states: boolean[] = [];
    new ConsumerSupervisor(c as never, run, 'node', log, { initialDelayMs: 100, onState: (s) => states.push(s) });
    c.crash(false);
    expect(states).toEqual([false]);
    expect(run).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(100);
    expect(c.connect).toHaveBeenCalledTimes(1);
    expect(run).toHaveBeenCalledTimes(1);
    expect(states).toEqual([false, true]);
  });

  it('leaves a crash kafkajs restarts itself alone', async () => {
    const c = fakeConsumer();
    const run = jest.fn(async () => undefined);
    new ConsumerSupervisor(c as never, run, 'node', log, { initialDelayMs: 100 });
    c.crash(true);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(run).not.toHaveBeenCalled();
  });

  it('waits longer after each failed try, up to its bound, and runs once the broker answers', async () => {
    const c = fakeConsumer(3);
    const run = jest.fn(async () => undefined);
    const s = new ConsumerSupervisor(c as never, run, 'node', log, { initialDelayMs: 100, maxDelayMs: 300 });
    expect([0, 1, 2, 3].map((t) => s.delayFor(t))).toEqual([100, 200, 300, 300]);
    c.crash(false);
    await jest.advanceTimersByTimeAsync(100); // try 1 fails
    await jest.advanceTimersByTimeAsync(200); // try 2 fails
    await jest.advanceTimersByTimeAsync(300); // try 3 fails
    expect(run).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(300); // try 4
    expect(c.connect).toHaveBeenCalledTimes(4);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('starts nothing once stopped', async () => {
    const c = fakeConsumer();
    const run = jest.fn(async () => undefined);
    const s = new ConsumerSupervisor(c as never, run, 'node', log, { initialDelayMs: 100 });
    c.crash(false);
    s.stop();
    await jest.advanceTimersByTimeAsync(1000);
    expect(run).not.toHaveBeenCalled();
    c.crash(false);
    await jest.advanceTimersByTimeAsync(1000);
    expect(c.connect).not.toHaveBeenCalled();
  });
});
