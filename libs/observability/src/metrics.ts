import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per process, with Node's default metrics under their usual names
 * (`process_*`, `nodejs_*`, so stock dashboards work) and a `service` label.
 */
export function createMetricsRegistry(service: string, region?: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(region ? { service, region } : { service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export function counter(registry: Registry, name: string, help: string, labelNames: string[] = []): Counter {
  return (registry.getSingleMetric(name) as Counter) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export function gauge(registry: Registry, name: string, help: string, labelNames: string[] = []): Gauge {
  return (registry.getSingleMetric(name) as Gauge) ?? new Gauge({ name, help, labelNames, registers: [registry] });
}

export function histogram(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[] = [],
  buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
): Histogram {
  return (registry.getSingleMetric(name) as Histogram) ?? new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

/** The retention purge's metrics: rows purged per kind, and when it last ran. */
export function retentionMetrics(registry: Registry): { onPurged: (kind: string, rows: number) => void; onRun: (at: Date) => void } {
  const purged = counter(registry, 'tongban_retention_purged_rows_total', 'Rows purged (deleted or emptied) past their retention, by kind', ['kind']);
  const lastRun = gauge(registry, 'tongban_retention_last_run_timestamp_seconds', 'When the retention purge last completed, Unix seconds');
  return {
    onPurged: (kind, rows) => purged.inc({ kind }, rows),
    onRun: (at) => lastRun.set(at.getTime() / 1000),
  };
}
