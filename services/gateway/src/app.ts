import 'reflect-metadata';
import { INestApplication, Module, DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AvroCodec, RecordValidator, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { AuditLog, AuditLogSchema1764300000000, AuditRecordGroups1768000000000 } from '@tongban/audit';
import { ApiKeyService, FailedAttemptLimiter, failedAuthGuard, MysqlApiKeyStore, TokenBucketLimiter } from '@tongban/auth';
import { contractsDir, redisConnection, repoRoot } from '@tongban/config';
import { ApiDescriptionController, HttpErrorFilter, inFlightLimit, installRequestLimits, SERVICE_API_DOCUMENT, SERVICE_API_PAGE } from '@tongban/http';
import { minimisationPolicyPath, Minimiser, readMinimisationPolicy } from '@tongban/masking';
import { createKafka, ensureTopics, EventPublisher } from '@tongban/kafka';
import {
  counter,
  createMetricsRegistry,
  httpMetrics,
  dependencyChecks,
  HEALTH_CHECKS,
  HealthCheck,
  histogram,
  JsonLogger,
  METRICS_REGISTRY,
  OpsController,
  retentionMetrics,
} from '@tongban/observability';
import { deleteOlder, mysqlOutbox, mysqlProbe, openDatabase, RetentionJob, sentOutboxRule } from '@tongban/persistence';
import { DivisionCatalogue, formatCheckers, RoutingTable, topics } from '@tongban/regions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { GatewayConfig } from './gateway.config';
import { AcceptEventService } from './events/application/accept-event.service';
import { API_KEYS, EventsController, GATEWAY_LOGGER } from './events/infrastructure/events.controller';
import { AcceptedEventsRepository } from './events/infrastructure/accepted-events.repository';
import { BatchEventsController } from './events/infrastructure/batch-events.controller';
import { batchRequestLimits } from './events/infrastructure/batch-limits';
import { CASE_CROSSINGS, CasesController, NODE_SERVICE_TOKEN, NODE_URLS, ROUTING } from './cases/cases.controller';
import { DisclosureRecorder } from './events/application/disclosure-recorder';
import { DISCLOSURES, DisclosuresController } from './events/infrastructure/disclosures.controller';
import { GatewaySchema1764000000000 } from './migrations/1764000000000-gateway-schema';
import { ApiKeys1765000000000, ApiKeysAdminController, GATEWAY_AUTH, GatewayAuth, ROTATION_OVERLAP_MS } from './auth';
import { AcceptedEventOffice1767000000000, EVENT_STATUS, EventStatusController, EventStatusReader, NodeEvents, OpsReceipts } from './event-status';
import { buildOpenApiDocument, DocsPage } from './openapi';

export interface GatewayApp {
  app: INestApplication;
  dataSource: DataSource;
  /** Purges idempotency records and sent outbox rows past their retention (runs on its own timer). */
  retention: RetentionJob;
  close(): Promise<void>;
}

/** Builds the gateway (not yet listening): database migrated, schemas registered, topics present. */
export async function createGatewayApp(config: GatewayConfig, logger = new JsonLogger('gateway')): Promise<GatewayApp> {
  const dataSource = await openDatabase({
    mysql: config.infra.mysql,
    pool: config.infra.mysqlPool,
    database: config.database,
    entities: [],
    migrations: [
      GatewaySchema1764000000000,
      AuditLogSchema1764300000000,
      ApiKeys1765000000000,
      AcceptedEventOffice1767000000000,
      AuditRecordGroups1768000000000,
    ],
  });
  const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
  const registry = new SchemaRegistryClient(config.infra.schemaRegistryUrl, { auth: config.infra.schemaRegistryAuth });
  const codec = new AvroCodec(catalogue, registry, config.autoRegisterSchemas);
  await codec.prepare();
  const routing = new RoutingTable(config.routing);
  // Derived from the same contracts the gateway validates against: a new event type is described as soon as it is accepted.
  const openapi = buildOpenApiDocument({ catalogue, examplesDir: join(contractsDir(), 'examples'), version: gatewayVersion() });
  const kafka = createKafka(config.infra.kafkaBrokers, config.infra.kafkaClientId, logger, config.infra.kafkaCredentials);
  await ensureTopics(
    kafka,
    routing.nodes().flatMap((node) => [{ topic: topics.inbox(config.infra.topicNamespace, node) }, { topic: topics.local(config.infra.topicNamespace, node) }]),
    config.infra.topics,
  );
  // A request waits for Redis at most commandTimeout; then the rate limit is kept per process. Without the
  // offline queue a call fails at once while Redis is away, so no command piles up waiting for its return.
  const redis = new Redis({
    ...redisConnection(config.infra.redis),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
  });
  redis.on('error', () => undefined);
  const keys = new ApiKeyService({
    store: new MysqlApiKeyStore(dataSource),
    limiter: new TokenBucketLimiter(
      redis,
      config.infra.redis.keyPrefix,
      (e) => logger.event('warn', 'Redis failed: rate limits are kept per gateway process until it answers again', { error: (e as Error).message }),
      () => logger.event('info', 'Redis answers again: rate limits are shared again'),
    ),
    defaultLimit: config.rateLimit,
    keyIdKey: config.keyIdKey,
    limitBootstrapKeys: config.rateLimit.bootstrapKeys,
  });
  await keys.seedBootstrap(config.apiKeys);
  const auth = new GatewayAuth(keys, config.adminToken, config.province);

  const metrics = createMetricsRegistry('gateway');
  const accepted = counter(metrics, 'tongban_events_accepted_total', 'Events accepted into the outbox', ['event_type']);
  // Where a request's time goes between its validation and its answer: waiting for its group's transaction, and
  // the transaction itself (a single writer: a request that arrives during a commit waits for it).
  const GROUP_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
  const groupWait = histogram(
    metrics,
    'tongban_gateway_group_wait_seconds',
    "Time a single request waited in the gateway's write queue before its group's transaction began",
    [],
    GROUP_SECONDS,
  );
  const groupWrite = histogram(
    metrics,
    'tongban_gateway_group_write_seconds',
    "Time of a group's transaction, from its first statement to its commit's answer",
    [],
    GROUP_SECONDS,
  );
  const groupSize = histogram(metrics, 'tongban_gateway_group_size', 'Requests written by one transaction of the write queue', [], [1, 2, 4, 8, 16, 32, 64]);
  const divisions = new DivisionCatalogue();
  const minimiser = new Minimiser(catalogue, readMinimisationPolicy(minimisationPolicyPath(contractsDir())));
  const disclosureLog = new AuditLog(dataSource, { personKey: config.auditPersonKey, chain: 'disclosures' });
  await disclosureLog.prepare();
  const disclosures = new DisclosureRecorder(disclosureLog, minimiser);
  const acceptedEvents = new AcceptedEventsRepository(dataSource);
  const service = new AcceptEventService({
    dataSource,
    store: acceptedEvents,
    catalogue,
    divisions,
    validator: new RecordValidator(formatCheckers(divisions)),
    publisher: new EventPublisher({
      codec,
      routing,
      minimiser,
      topicNamespace: config.infra.topicNamespace,
      outboxLanes: config.outboxLanes,
      outbox: mysqlOutbox,
    }),
    disclosures,
    onAccepted: (eventType) => accepted.inc({ event_type: eventType }),
    groupCommit: { ...config.groupCommit, maxWaitMs: config.infra.mysqlPool.acquireTimeoutMs },
    onGroup: ({ size, waitedMs, writeMs }) => {
      groupSize.observe(size);
      groupWrite.observe(writeMs / 1000);
      for (const ms of waitedMs) groupWait.observe(ms / 1000);
    },
  });
  const retention = new RetentionJob({
    dataSource,
    rules: [
      deleteOlder('idempotency', config.retention.keepMs.idempotency, 'idempotency_keys', 'created_at < ?'),
      sentOutboxRule(config.retention.keepMs.outbox),
    ],
    intervalMs: config.retention.intervalMs,
    ...retentionMetrics(metrics),
    onError: (e) => logger.event('warn', 'retention purge failed', { error: (e as Error).message }),
  });
  retention.start();
  const admin = kafka.admin();
  await admin.connect();
  // Health asks MySQL on a connection of its own, not behind the requests queued for the pool.
  const probe = mysqlProbe(dataSource, config.infra.mysqlPool);
  const checks: HealthCheck[] = [
    // Without Redis the rate limits are kept per process, so Redis down leaves the gateway degraded, not unready.
    ...dependencyChecks({ mysql: probe, kafka: admin, redis, tolerate: ['redis'] }),
    { name: 'schemaRegistry', check: () => registry.ping() },
  ];

  // A gateway of one province answers where its events for the other province are; its ops keeps the receipts.
  const eventStatus = new EventStatusReader(
    acceptedEvents,
    config.province ? { province: config.province, receipts: new OpsReceipts(config.opsUrl, config.nodeServiceToken) } : undefined,
    new NodeEvents(config.nodeUrls, config.nodeServiceToken),
  );

  @Module({})
  class GatewayModule {
    static build(): DynamicModule {
      return {
        module: GatewayModule,
        controllers: [
          EventsController,
          BatchEventsController,
          EventStatusController,
          CasesController,
          ApiKeysAdminController,
          DisclosuresController,
          OpsController,
          ApiDescriptionController,
        ],
        providers: [
          { provide: AcceptEventService, useValue: service },
          { provide: API_KEYS, useValue: auth },
          { provide: GATEWAY_AUTH, useValue: auth },
          { provide: ROTATION_OVERLAP_MS, useValue: config.rotationOverlapMs },
          { provide: DISCLOSURES, useValue: disclosures },
          { provide: GATEWAY_LOGGER, useValue: logger },
          { provide: NODE_URLS, useValue: config.nodeUrls },
          { provide: NODE_SERVICE_TOKEN, useValue: config.nodeServiceToken },
          { provide: ROUTING, useValue: routing },
          { provide: HEALTH_CHECKS, useValue: checks },
          { provide: METRICS_REGISTRY, useValue: metrics },
          { provide: EVENT_STATUS, useValue: eventStatus },
          ...(config.province ? [{ provide: CASE_CROSSINGS, useValue: eventStatus }] : []),
          { provide: SERVICE_API_DOCUMENT, useValue: openapi },
          { provide: SERVICE_API_PAGE, useValue: new DocsPage(openapi).render() },
        ],
      };
    }
  }

  const app = await NestFactory.create(GatewayModule.build(), { logger, bodyParser: true });

  app.use(httpMetrics(metrics, logger));
  // Before the body is read: a request over the limit costs a 503, not a buffered body waiting on the database.
  const overloaded = counter(
    metrics,
    'tongban_http_overload_refusals_total',
    'Requests answered 503 because TONGBAN_GATEWAY_MAX_IN_FLIGHT were being worked on',
  );
  app.use(inFlightLimit(config.maxInFlight, () => overloaded.inc()));
  // Batch uploads may carry more than 1 MiB: their own bounded parser, before the one of every other route.
  app.use(batchRequestLimits({ ...config.batch, onRefused: () => overloaded.inc() }));
  installRequestLimits(app);
  app.use(failedAuthGuard(new FailedAttemptLimiter(config.infra.authFailuresPerMinute)));
  app.useGlobalFilters(new HttpErrorFilter(logger));
  return {
    app,
    dataSource,
    retention,
    async close() {
      await app.close();
      await retention.stop();
      await admin.disconnect().catch(() => undefined);
      redis.disconnect();
      await probe.close();
      await dataSource.destroy();
    },
  };
}

/** The version in the checkout's package.json (the API description's `info.version`). */
function gatewayVersion(): string {
  try {
    return String((JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version?: unknown }).version ?? '0.0.0');
  } catch {
    return '0.0.0';
  }
}
