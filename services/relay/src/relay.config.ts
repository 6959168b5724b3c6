import { EnvReader, InfraConfig, readInfraConfig } from '@tongban/config';
import { DEFAULT_RELAY_BATCH, DEFAULT_RELAY_BATCH_BYTES } from '@tongban/kafka';

export interface RelayConfig {
  infra: InfraConfig;
  /** Databases whose outbox this relay drains (the gateway's and the region nodes'). */
  databases: string[];
  port: number;
  lanes: number;
  maxLanes: number;
  /** Rows one pass reads across its lanes and sends with one `sendBatch`. */
  batchSize: number;
  /** Bytes one send carries at most: below the broker's `message.max.bytes`. */
  batchBytes: number;
  /** The longest idle wait; a pass that found rows is followed by the next at once. */
  pollIntervalMs: number;
  /** Session wait_timeout of the lane-lock connection: how soon a vanished relay's lanes are free. */
  lockTimeoutSeconds: number;
}

export function readRelayConfig(env: Record<string, string | undefined> = process.env): RelayConfig {
  const r = new EnvReader(env);
  const infra = readInfraConfig(r, 'tongban-relay', { registry: false, redis: false });
  const lanes = r.int('TONGBAN_OUTBOX_LANES', 16, { min: 1, max: 1024 });
  const databases = r.list('TONGBAN_RELAY_DATABASES', ['tongban_gateway', 'tongban_node_510000', 'tongban_node_500000']);
  for (const d of databases) if (!/^[A-Za-z0-9_]{1,64}$/.test(d)) r.fail(`TONGBAN_RELAY_DATABASES: "${d}" is not a database name`);
  const config: RelayConfig = {
    infra,
    databases,
    port: r.port('TONGBAN_RELAY_PORT', 3300),
    lanes,
    maxLanes: r.int('TONGBAN_RELAY_MAX_LANES', lanes, { min: 1, max: lanes }),
    batchSize: r.int('TONGBAN_RELAY_BATCH', DEFAULT_RELAY_BATCH, { min: 1, max: 10000 }),
    batchBytes: r.int('TONGBAN_RELAY_BATCH_BYTES', DEFAULT_RELAY_BATCH_BYTES, { min: 10_000, max: 100_000_000 }),
    pollIntervalMs: r.int('TONGBAN_RELAY_POLL_MS', 50, { min: 5, max: 60000 }),
    lockTimeoutSeconds: r.int('TONGBAN_RELAY_LOCK_TIMEOUT_SECONDS', 30, { min: 3, max: 28800 }),
  };
  r.done();
  return config;
}
