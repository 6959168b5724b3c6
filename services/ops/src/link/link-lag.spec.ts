import { DirectionLag } from '@tongban/kafka';
import { LagReader, LinkLag } from './link-lag';

const lag = (messages: number, oldestAgeMs: number): DirectionLag => ({ source: 'sichuan', target: 'chongqing', messages, oldestAgeMs, partitions: [] });

/** A reader whose start and read follow a script: an Error entry fails that call. */
function scripted(starts: Array<true | Error>, reads: Array<DirectionLag | Error>): LagReader & { startCalls: number; stopCalls: number } {
  const r = {
    source: 'sichuan',
    target: 'chongqing',
    startCalls: 0,
    stopCalls: 0,
    async start() {
      const next = starts[r.startCalls++] ?? true;
      if (next instanceof Error) throw next;
    },
    async stop() {
      r.stopCalls++;
    },
    async read() {
      const next = reads.shift();
      if (!next || next instanceof Error) throw next ?? new Error('no more reads');
      return next;
    },
  };
  return r as unknown as LagReader & { startCalls: number; stopCalls: number };
}

const at = () => new Date('2026-11-29T12:00:00Z');

describe('LinkLag: the incoming flow as ops reports it', () => {
  it('starts the reader once and reports the figures, behind when over the threshold', async () => {
    const reader = scripted([true], [lag(3, 1000), lag(5000, 1000)]);
    const link = new LinkLag(reader, { messages: 1000, oldestAgeMs: 60_000 }, at);
    expect(await link.status()).toEqual({
      source: 'sichuan',
      target: 'chongqing',
      readAt: '2026-11-29T12:00:00.000Z',
      messages: 3,
      oldestAgeMs: 1000,
      behind: null,
    });
    const behind = await link.status();
    expect(behind.behind).toContain('5000 records waiting (limit 1000)');
    expect(reader.startCalls).toBe(1);
  });

  it('keeps the last figures with the error when the link cannot be read, and starts again on the next read', async () => {
    const reader = scripted([true, true], [lag(2, 10), new Error('connection refused by 127.0.0.1:9093'), lag(0, 0)]);
    const link = new LinkLag(reader, { messages: 10, oldestAgeMs: 60_000 }, at);
    await link.status();
    const failed = await link.status();
    expect(failed).toMatchObject({ messages: 2, error: 'connection refused by 127.0.0.1:9093' });
    expect(reader.stopCalls).toBe(1);
    const again = await link.status();
    expect(again).toMatchObject({ messages: 0, behind: null });
    expect(again.error).toBeUndefined();
    expect(reader.startCalls).toBe(2);
  });

  it('answers a failed start as an error, without figures, and rejects read() for the metrics', async () => {
    const reader = scripted([new Error('SASL authentication failed')], []);
    const link = new LinkLag(reader, {}, at);
    await expect(link.read()).rejects.toThrow('SASL authentication failed');
    expect(await link.status()).toMatchObject({ source: 'sichuan', target: 'chongqing', behind: null, error: 'no more reads' });
  });
});
