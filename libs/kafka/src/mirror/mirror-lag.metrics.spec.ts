import { Registry } from 'prom-client';
import { JsonLogger } from '@tongban/observability';
import { lagAlert, LagSource, registerMirrorLagMetrics } from './mirror-lag.metrics';
import type { DirectionLag } from './replication-lag';

const lagOf = (messages: number, oldestAgeMs: number): DirectionLag => ({ source: 'sichuan', target: 'chongqing', messages, oldestAgeMs, partitions: [] });

/** A lag source that answers what the test sets, or fails. */
class ScriptedLag implements LagSource {
  readonly source = 'sichuan';
  readonly target = 'chongqing';
  next: DirectionLag | Error = lagOf(0, 0);
  reads = 0;
  async read(): Promise<DirectionLag> {
    this.reads++;
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
}

describe('mirror lag metrics', () => {
  it.each([
    [{ messages: 5, oldestAgeMs: 1_000 }, { messages: 10 }, undefined],
    [{ messages: 11, oldestAgeMs: 1_000 }, { messages: 10 }, '11 records waiting (limit 10)'],
    [{ messages: 1, oldestAgeMs: 90_000 }, { oldestAgeMs: 60_000 }, 'oldest waiting 90 s (limit 60 s)'],
    [{ messages: 11, oldestAgeMs: 90_000 }, { messages: 10, oldestAgeMs: 60_000 }, '11 records waiting (limit 10), oldest waiting 90 s (limit 60 s)'],
    [{ messages: 10_000, oldestAgeMs: 10_000_000 }, {}, undefined],
  ])('judges %j against %j', (lag, threshold, expected) => {
    expect(lagAlert(lag, threshold)).toBe(expected);
  });

  const setup = () => {
    const registry = new Registry();
    const lines: Array<Record<string, unknown>> = [];
    const logger = new JsonLogger('ops', undefined, 'debug', (line) => lines.push(JSON.parse(line)));
    const source = new ScriptedLag();
    registerMirrorLagMetrics(registry, [source], { messages: 100 }, logger);
    return { registry, lines, source };
  };

  it('exposes the lag per direction at every scrape, from one read', async () => {
    const { registry, source } = setup();
    source.next = lagOf(42, 7_500);
    const text = await registry.metrics();
    expect(text).toContain('tongban_mirror_lag_messages{source="sichuan",target="chongqing"} 42');
    expect(text).toContain('tongban_mirror_lag_oldest_seconds{source="sichuan",target="chongqing"} 7.5');
    expect(text).toContain('tongban_mirror_up{source="sichuan",target="chongqing"} 1');
    expect(source.reads).toBe(1);
  });

  it('logs one warning when the lag passes the threshold and one line when it is back', async () => {
    const { registry, lines, source } = setup();
    source.next = lagOf(150, 60_000);
    await registry.metrics();
    await registry.metrics();
    source.next = lagOf(3, 1_000);
    await registry.metrics();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'mirror lag above threshold: sichuan->chongqing, 150 records waiting (limit 100)'],
      ['info', 'mirror lag back under threshold: sichuan->chongqing'],
    ]);
  });

  it('reports the direction as not up, and says why, when the progress cannot be read', async () => {
    const { registry, lines, source } = setup();
    source.next = new Error('SASL authentication failed');
    expect(await registry.metrics()).toContain('tongban_mirror_up{source="sichuan",target="chongqing"} 0');
    expect(lines[0]).toMatchObject({ level: 'error', error: 'SASL authentication failed' });
  });
});
