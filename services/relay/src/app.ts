import 'reflect-metadata';
import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createConnection } from 'mysql2/promise';
import { createKafka, OutboxRelay } from '@tongban/kafka';
import { MysqlOutboxStore, outboxBacklog } from '@tongban/persistence';
import {
  counter, createMetricsRegistry, httpMetrics, dependencyChecks, gauge, HEALTH_CHECKS, HealthCheck, JsonLogger, METRICS_REGISTRY, OpsController,
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
  const backlog = gauge(metrics, 'tongban_outbox_pending_messages', 'Outbox rows not yet published', ['database']);
  const lanes = gauge(metrics, 'tongban_outbox_lanes_owned', 'Outbox lanes this relay owns', ['database']);
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
      }),
  );
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
            backlog.set({ database }, pending);
            lanes.set({ database }, relays[i].ownedLanes().length);
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
