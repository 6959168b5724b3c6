import { Gauge, Registry } from 'prom-client';
import type { JsonLogger } from '@tongban/observability';
import type { DirectionLag } from './replication-lag';

/** What the metrics need of a lag reader (MirrorLagReader, one per incoming direction). */
export interface LagSource {
  readonly source: string;
  readonly target: string;
  read(): Promise<DirectionLag>;
}

/** Above either limit the link counts as behind; undefined limits are not checked. */
export interface LagThreshold {
  messages?: number;
  oldestAgeMs?: number;
}

/** Why this lag passes the threshold, or undefined when it does not. */
export function lagAlert(lag: Pick<DirectionLag, 'messages' | 'oldestAgeMs'>, threshold: LagThreshold): string | undefined {
  const reasons: string[] = [];
  if (threshold.messages !== undefined && lag.messages > threshold.messages) reasons.push(`${lag.messages} records waiting (limit ${threshold.messages})`);
  if (threshold.oldestAgeMs !== undefined && lag.oldestAgeMs > threshold.oldestAgeMs)
    reasons.push(`oldest waiting ${Math.round(lag.oldestAgeMs / 1000)} s (limit ${Math.round(threshold.oldestAgeMs / 1000)} s)`);
  return reasons.length > 0 ? reasons.join(', ') : undefined;
}

/**
 * Registers `tongban_mirror_lag_messages`, `tongban_mirror_lag_oldest_seconds` and `tongban_mirror_up` (labels
 * `source`, `target`), read from the sources at every scrape, and logs one warning when a direction passes the
 * threshold and one line when it is back under it (not one per scrape).
 */
export function registerMirrorLagMetrics(registry: Registry, sources: LagSource[], threshold: LagThreshold, logger?: JsonLogger): void {
  const behind = new Set<string>();
  // All three gauges come from one read per scrape.
  let last: Promise<void> | undefined;
  const collect = async () => {
    last ??= refresh().finally(() => (last = undefined));
    await last;
  };
  const labelNames = ['source', 'target'];
  const messages = new Gauge({
    name: 'tongban_mirror_lag_messages',
    help: 'Records in the source province not yet copied by MirrorMaker 2',
    labelNames,
    registers: [registry],
    collect,
  });
  const oldest = new Gauge({
    name: 'tongban_mirror_lag_oldest_seconds',
    help: 'Age of the oldest record not yet copied by MirrorMaker 2',
    labelNames,
    registers: [registry],
    collect,
  });
  const up = new Gauge({ name: 'tongban_mirror_up', help: '1 when the replication lag could be read, 0 when not', labelNames, registers: [registry], collect });
  async function refresh(): Promise<void> {
    for (const source of sources) {
      const labels = { source: source.source, target: source.target };
      let lag: DirectionLag;
      try {
        lag = await source.read();
      } catch (e) {
        up.set(labels, 0);
        logger?.event('error', `mirror lag: cannot read the replication progress ${source.source}->${source.target}`, { error: (e as Error).message });
        continue;
      }
      up.set(labels, 1);
      messages.set(labels, lag.messages);
      oldest.set(labels, lag.oldestAgeMs / 1000);
      const key = `${lag.source}->${lag.target}`;
      const alert = lagAlert(lag, threshold);
      if (alert && !behind.has(key)) {
        behind.add(key);
        logger?.event('warn', `mirror lag above threshold: ${key}, ${alert}`, {
          source: lag.source,
          target: lag.target,
          messages: lag.messages,
          oldestAgeMs: lag.oldestAgeMs,
        });
      } else if (!alert && behind.delete(key)) {
        logger?.event('info', `mirror lag back under threshold: ${key}`, { source: lag.source, target: lag.target, messages: lag.messages });
      }
    }
  }
}
