import 'reflect-metadata';
import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createConnection } from 'mysql2/promise';
import { createKafka, OutboxRelay } from '@tongban/kafka';
import { MysqlOutboxStore, outboxBacklog, outboxBacklogAge } from '@tongban/persistence';
import { Gauge } from 'prom-client';
import {
  counter,
  createMetricsRegistry,
  histogram,
  httpMetrics,
  dependencyChecks,
  HEALTH_CHECKS,
  HealthCheck,
  JsonLogger,
  METRICS_REGISTRY,
  OpsController,
} from '@tongban/observability';
import { RelayConfig } from './relay.config';

export interface RelayApp {
  app: INestApplication;
  relays: OutboxRelay[];
  close(): Promise<void>;
}

/** One outbox relay per configured database, with /health and /metrics. */
export async function createRelayApp(config: RelayConfig, logger = new JsonLogger('relay')): Promise<RelayApp> {
  const kafka = createKafka(config.infra.kafkaBrokers, config.infra.kafkaClientId, logger, config.infra.kafkaCredentials);
  const metrics = createMetricsRegistry('relay');
  const published = counter(metrics, 'tongban_events_published_total', 'Outbox rows published to Kafka', ['database']);
  const outboxLag = histogram(
    metrics,
    'tongban_outbox_lag_seconds',
    'How long a row waited in the outbox (accepted → read for sending), by database',
    ['database'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  );
  const relays = config.databases.map(
    (database) =>
      new OutboxRelay({
        kafka,
        store: new MysqlOutboxStore({ mysql: config.infra.mysql, database, lockTimeoutSeconds: config.lockTimeoutSeconds }),
        lanes: config.lanes,
        maxLanes: config.maxLanes,
        batchSize: config.batchSize,
        maxBatchBytes: config.batchBytes,
        pollIntervalMs: config.pollIntervalMs,
        logger,
        onPublished: (n) => published.inc({ database }, n),
        onWaited: (seconds) => seconds.forEach((s) => outboxLag.observe({ database }, s)),
      }),
  );
  // Backlog and its age are read at each scrape (one connection for all databases, scrapes a moment apart share a read).
  let reading: { at: number; values: Promise<Map<string, { pending: number; oldestSeconds: number }>> } | undefined;
  const backlogs = () => {
    if (!reading || Date.now() - reading.at > 1000) {
      const values = (async () => {
        const conn = await createConnection({ ...config.infra.mysql, connectTimeout: 3000 });
        try {
          const out = new Map<string, { pending: number; oldestSeconds: number }>();
          for (const database of config.databases) {
            await conn.changeUser({ database });
            out.set(database, await outboxBacklogAge(conn));
          }
          return out;
        } finally {
          await conn.end().catch(() => undefined);
        }
      })();
      values.catch(() => undefined);
      reading = { at: Date.now(), values };
    }
    return reading.values;
  };
  const backlogGauge = (name: string, help: string, value: (b: { pending: number; oldestSeconds: number }) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['database'],
      registers: [metrics],
      async collect() {
        this.reset();
        const read = await backlogs().catch(() => undefined);
        for (const [database, b] of read ?? []) this.set({ database }, value(b));
      },
    });
  backlogGauge('tongban_outbox_pending_messages', 'Outbox rows not yet published', (b) => b.pending);
  new Gauge({
    name: 'tongban_outbox_lanes_owned',
    help: 'Outbox lanes this relay owns',
    labelNames: ['database'],
    registers: [metrics],
    collect() {
      config.databases.forEach((database, i) => this.set({ database }, relays[i].ownedLanes().length));
    },
  });
  backlogGauge('tongban_outbox_oldest_seconds', 'Age of the oldest outbox row not yet published (0 when none waits)', (b) => b.oldestSeconds);
  const admin = kafka.admin();
  await admin.connect();
  const checks: HealthCheck[] = [
    ...dependencyChecks({ kafka: admin }),
    {
      name: 'mysql',
      check: async () => {
        const conn = await createConnection({ ...config.infra.mysql });
        try {
          const out: Record<string, { pending: number; lanes: number[] }> = {};
          for (const [i, database] of config.databases.entries()) {
            await conn.changeUser({ database });
            const pending = await outboxBacklog(conn);
            out[database] = { pending, lanes: relays[i].ownedLanes() };
          }
          return out;
        } finally {
          await conn.end();
        }
      },
    },
  ];

  @Module({})
  class RelayModule {
    static build(): DynamicModule {
      return {
        module: RelayModule,
        controllers: [OpsController],
        providers: [
          { provide: HEALTH_CHECKS, useValue: checks },
          { provide: METRICS_REGISTRY, useValue: metrics },
        ],
      };
    }
  }
  const app = await NestFactory.create(RelayModule.build(), { logger });
  app.use(httpMetrics(metrics, logger));
  for (const relay of relays) await relay.start();
  return {
    app,
    relays,
    async close() {
      await Promise.all(relays.map((r) => r.stop()));
      await app.close();
      await admin.disconnect().catch(() => undefined);
    },
  };
}
