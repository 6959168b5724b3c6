import 'reflect-metadata';
import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { join } from 'node:path';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { API_KEYS_DDL, ApiKeyService, FailedAttemptLimiter, failedAuthGuard, MysqlApiKeyStore } from '@tongban/auth';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { contractsDir, redisConnection } from '@tongban/config';
import { HttpErrorFilter, installRequestLimits, repositoryVersion, SERVICE_API_DOCUMENT } from '@tongban/http';
import { createKafka, DeadLetterPublisher, registerConsumerLagMetrics } from '@tongban/kafka';
import { minimisationPolicyPath, Minimiser, readMinimisationPolicy } from '@tongban/masking';
import {
  counter,
  createMetricsRegistry,
  httpMetrics,
  dependencyChecks,
  HEALTH_CHECKS,
  HealthCheck,
  JsonLogger,
  METRICS_REGISTRY,
  retentionMetrics,
} from '@tongban/observability';
import { mysqlProbe, openDatabase, RetentionJob } from '@tongban/persistence';
import { AuditLog, AuditLogSchema1764300000000, AuditRecordGroups1768000000000, DISCLOSURE_CHAIN } from '@tongban/audit';
import { RoutingTable, topics } from '@tongban/regions';
import { DeliveryConfig } from './delivery.config';
import { DeliverySchema1765100000000 } from './migrations/1765100000000-delivery-schema';
import { DeliveryTraceContext1767200000000 } from './migrations/1767200000000-delivery-trace-context';
import { SecretBox } from './subscriptions/secret-box';
import { SubscriptionRepository } from './subscriptions/subscription.repository';
import { DELIVERY_KEYS, KNOWN_EVENT_TYPES, URL_POLICY, UrlPolicy } from './subscriptions/subscriptions.controller';
import { DeliveryStore } from './deliveries/delivery.store';
import { parkedBodiesRule } from './deliveries/delivery.retention';
import { DeliveryWorker, deliveryQueuePrefix } from './deliveries/delivery.worker';
import { InboxConsumer } from './deliveries/inbox.consumer';
import { DELIVERY_ADMIN_TOKEN } from './deliveries/deliveries.controller';
import { DELIVERY_CONTROLLERS } from './controllers';
import { buildDeliveryOpenApiDocument } from './openapi';

export interface DeliveryApp {
  app: INestApplication;
  dataSource: DataSource;
  /** Empties parked deliveries' bodies past their retention. */
  retention: RetentionJob;
  /** Starts reading the inboxes, sending deliveries and serving HTTP on `port` (0: any free port). */
  start(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** The delivery service: webhook subscriptions of partner systems, signed deliveries with retries. */
export async function createDeliveryApp(config: DeliveryConfig, logger = new JsonLogger('delivery')): Promise<DeliveryApp> {
  const dataSource = await openDatabase({
    mysql: config.infra.mysql,
    pool: config.infra.mysqlPool,
    database: config.database,
    entities: [],
    migrations: [DeliverySchema1765100000000, AuditLogSchema1764300000000, DeliveryTraceContext1767200000000, AuditRecordGroups1768000000000],
  });
  const keysSource = await openDatabase({
    mysql: config.infra.mysql,
    pool: config.infra.mysqlPool,
    database: config.keysDatabase,
    entities: [],
    migrations: [],
    poolSize: 3,
  });
  await keysSource.query(API_KEYS_DDL);
  const keys = new ApiKeyService({
    store: new MysqlApiKeyStore(keysSource),
    defaultLimit: { ratePerSecond: 0, burst: 1 },
    limitBootstrapKeys: false,
    keyIdKey: config.keyIdKey,
  });
  const urlPolicy: UrlPolicy = {
    development: config.development,
    allowHttp: config.allowHttp,
    allowLoopback: config.allowLoopback,
    maxSubscriptionsPerKey: config.maxSubscriptionsPerKey,
  };

  const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
  const codec = new AvroCodec(
    catalogue,
    new SchemaRegistryClient(config.infra.schemaRegistryUrl, { auth: config.infra.schemaRegistryAuth }),
    config.autoRegisterSchemas,
  );
  const minimiser = new Minimiser(catalogue, readMinimisationPolicy(minimisationPolicyPath(contractsDir())));
  const routing = new RoutingTable(config.routing);
  const kafka = createKafka(config.infra.kafkaBrokers, config.infra.kafkaClientId, logger, config.infra.kafkaCredentials);
  // The worker's blocking reads wait for Redis (BullMQ requires maxRetriesPerRequest null there); what only
  // adds jobs or checks health fails at once while Redis is away, so no command waits in memory for its return.
  const redis = new Redis({ ...redisConnection(config.infra.redis), maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const queueRedis = new Redis({
    ...redisConnection(config.infra.redis),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: config.infra.redis.commandTimeoutMs,
  });
  queueRedis.on('error', () => undefined);

  const metrics = createMetricsRegistry('delivery');
  const outcomes = counter(metrics, 'tongban_webhook_deliveries_total', 'Webhook delivery attempts by outcome', ['outcome']);
  // The delivery's own disclosures chain: every webhook delivered, every subscription change.
  const disclosures = new AuditLog(dataSource, { personKey: config.auditPersonKey, chain: DISCLOSURE_CHAIN });
  await disclosures.prepare();
  const subscriptions = new SubscriptionRepository(dataSource, new SecretBox(config.secretKey), 1000, disclosures);
  const store = new DeliveryStore(dataSource, { audit: disclosures, minimiser });
  const worker = new DeliveryWorker({
    connection: redis,
    queueConnection: queueRedis,
    prefix: deliveryQueuePrefix(config.infra.redis.keyPrefix, config.database),
    store,
    subscriptions,
    policy: config,
    logger,
    onOutcome: (outcome) => outcomes.inc({ outcome }),
    keyIsLive: (keyId) => keys.isLive(keyId),
  });
  const inboxes = new Map(config.nodes.map((node) => [topics.inbox(config.infra.topicNamespace, node), node]));
  const closeLagMetrics = registerConsumerLagMetrics(metrics, { kafka, groupId: config.groupId, topics: () => [...inboxes.keys()] });
  const consumer = new InboxConsumer({
    kafka,
    groupId: config.groupId,
    consumerGroup: config.infra.consumerGroup,
    topics: inboxes,
    codec,
    minimiser,
    routing,
    subscriptions,
    store,
    worker,
    deadLetters: new DeadLetterPublisher(kafka, config.groupId),
    logger,
  });
  const retention = new RetentionJob({
    dataSource,
    rules: [parkedBodiesRule(config.retention.keepMs.deliveryBodies)],
    intervalMs: config.retention.intervalMs,
    ...retentionMetrics(metrics),
    onError: (e) => logger.event('warn', 'retention purge failed', { error: (e as Error).message }),
  });
  const admin = kafka.admin();
  await admin.connect();
  // Health asks MySQL on a connection of its own, not behind the requests queued for the pool.
  const probe = mysqlProbe(dataSource, config.infra.mysqlPool);
  const checks: HealthCheck[] = [...dependencyChecks({ mysql: probe, kafka: admin, redis: queueRedis })];

  @Module({})
  class DeliveryModule {
    static build(): DynamicModule {
      return {
        module: DeliveryModule,
        controllers: DELIVERY_CONTROLLERS,
        providers: [
          { provide: SERVICE_API_DOCUMENT, useValue: buildDeliveryOpenApiDocument(repositoryVersion(), catalogue.eventTypes()) },
          { provide: DELIVERY_KEYS, useValue: keys },
          { provide: DELIVERY_ADMIN_TOKEN, useValue: config.adminToken },
          { provide: KNOWN_EVENT_TYPES, useValue: catalogue.eventTypes() },
          { provide: URL_POLICY, useValue: urlPolicy },
          { provide: SubscriptionRepository, useValue: subscriptions },
          { provide: DeliveryStore, useValue: store },
          { provide: DeliveryWorker, useValue: worker },
          { provide: HEALTH_CHECKS, useValue: checks },
          { provide: METRICS_REGISTRY, useValue: metrics },
        ],
      };
    }
  }

  const app = await NestFactory.create(DeliveryModule.build(), { logger });

  app.use(httpMetrics(metrics, logger));
  installRequestLimits(app);
  app.use(failedAuthGuard(new FailedAttemptLimiter(config.infra.authFailuresPerMinute)));
  app.useGlobalFilters(new HttpErrorFilter(logger));
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = async () => {
    // Repairs what a crash between MySQL and Redis left: queued rows without a job, lines not advanced.
    const { queued, lines } = await store.unfinished();
    for (const q of queued) await worker.enqueue(q);
    for (const l of lines) await worker.enqueue(await store.advance(l.subscriptionId, l.caseId));
  };
  return {
    app,
    dataSource,
    retention,
    async start(port = config.port, host = '0.0.0.0') {
      worker.start();
      retention.start();
      await consumer.start();
      await sweep().catch((e) => logger.event('warn', 'delivery sweep failed', { error: (e as Error).message }));
      sweeper = setInterval(
        () => void sweep().catch((e) => logger.event('warn', 'delivery sweep failed', { error: (e as Error).message })),
        config.sweepIntervalMs,
      );
      await app.listen(port, host);
      const address = app.getHttpServer().address() as { port: number };
      logger.event('info', 'delivery started', { port: address.port, group: config.groupId, nodes: config.nodes });
      return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
    },
    async close() {
      if (sweeper) clearInterval(sweeper);
      await retention.stop();
      await consumer.close().catch(() => undefined);
      await worker.close().catch(() => undefined);
      await app.close();
      await closeLagMetrics();
      await admin.disconnect().catch(() => undefined);
      redis.disconnect();
      queueRedis.disconnect();
      await keysSource.destroy();
      await probe.close();
      await dataSource.destroy();
    },
  };
}
