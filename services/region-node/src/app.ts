import 'reflect-metadata';
import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { join } from 'node:path';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { contractsDir, redisConnection } from '@tongban/config';
import { HttpErrorFilter, installRequestLimits } from '@tongban/http';
import { createKafka, ensureTopics, EventPublisher, PassThroughRpcFilter, registerConsumerLagMetrics, ServerTongbanKafka } from '@tongban/kafka';
import {
  counter,
  createMetricsRegistry,
  histogram,
  httpMetrics,
  dependencyChecks,
  gauge,
  HEALTH_CHECKS,
  HealthCheck,
  JsonLogger,
  METRICS_REGISTRY,
  OpsController,
  retentionMetrics,
} from '@tongban/observability';
import { heldMessagesRule, MysqlHoldStore, mysqlOutbox, mysqlProbe, openDatabase, RetentionJob, sentOutboxRule } from '@tongban/persistence';
import { AuditLog, AuditLogSchema1764300000000, AuditRecordGroups1768000000000, DISCLOSURE_CHAIN } from '@tongban/audit';
import { RoutingTable, topics } from '@tongban/regions';
import { Minimiser, minimisationPolicyPath, readMinimisationPolicy } from '@tongban/masking';
import { RegionNodeConfig } from './region-node.config';
import { ApplyEventService } from './casework/application/apply-event.service';
import { APPLIED_COUNTER, InboxController, inboxBatchHandler, NODE_LOGGER } from './casework/infrastructure/inbox.controller';
import { CASE_QUERIES, CASE_REPOSITORY, CasesQueryController, READ_DISCLOSURES } from './casework/infrastructure/cases-query.controller';
import { CaseQueryRepository } from './casework/infrastructure/case-query.repository';
import { CaseRepository, PersonFactsRepository } from './casework/infrastructure/case.repository';
import { EventsQueryController } from './casework/infrastructure/events-query.controller';
import { FollowUpPublisher } from './casework/infrastructure/follow-up.publisher';
import { TimerScheduler } from './casework/infrastructure/timer.scheduler';
import { TimerReconciler } from './casework/infrastructure/timer.reconciler';
import { NODE_WORKFLOWS, NodeLookups } from './workflows';
import { NodeSchema1764000000000 } from './migrations/1764000000000-node-schema';
import { CaseworkIndexes1764200000000 } from './migrations/1764200000000-casework-indexes';
import { CaseHolds1764600000000 } from './migrations/1764600000000-case-holds';
import { PersonFacts1764900000000 } from './migrations/1764900000000-person-facts';
import { CaseRetention1766000000000 } from './migrations/1766000000000-case-retention';
import { ArrivalsIndex1767100000000 } from './migrations/1767100000000-arrivals-index';
import { ARRIVALS_INBOX, ArrivalsController } from './arrivals/arrivals.controller';
import { casePayloadsRule } from './casework/infrastructure/case-payload.retention';
import { InternalActions1765100000000 } from './migrations/1765100000000-internal-actions';
import { HOLD_ADMINISTRATION, HoldsController } from './internal/holds.controller';
import { internalAccess } from './internal/internal-access.middleware';

export interface RegionNodeApp {
  app: INestApplication;
  dataSource: DataSource;
  /** Purges case payloads, held messages and sent outbox rows past their retention. */
  retention: RetentionJob;
  /** Starts consuming the inbox and serving the internal HTTP API. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function createRegionNodeApp(config: RegionNodeConfig, logger = new JsonLogger('region-node', config.region)): Promise<RegionNodeApp> {
  const dataSource = await openDatabase({
    mysql: config.infra.mysql,
    pool: config.infra.mysqlPool,
    database: config.database,
    entities: [],
    migrations: [
      NodeSchema1764000000000,
      CaseworkIndexes1764200000000,
      AuditLogSchema1764300000000,
      CaseHolds1764600000000,
      PersonFacts1764900000000,
      InternalActions1765100000000,
      CaseRetention1766000000000,
      ArrivalsIndex1767100000000,
      AuditRecordGroups1768000000000,
    ],
  });
  const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
  const registry = new SchemaRegistryClient(config.infra.schemaRegistryUrl, { auth: config.infra.schemaRegistryAuth });
  const codec = new AvroCodec(catalogue, registry, config.autoRegisterSchemas);
  // Follow-up events (answers, rejections, escalations, reactions) are encoded here: their ids are needed up front.
  await codec.prepare();
  const kafka = createKafka(config.infra.kafkaBrokers, config.infra.kafkaClientId, logger, config.infra.kafkaCredentials);
  const inbox = topics.inbox(config.infra.topicNamespace, config.region);
  // The region's own copies of what it published (see topics.local); read by this node alone.
  const local = topics.local(config.infra.topicNamespace, config.region);
  await ensureTopics(
    kafka,
    [{ topic: inbox }, { topic: topics.dlq(inbox), numPartitions: 1 }, { topic: local }, { topic: topics.dlq(local), numPartitions: 1 }],
    config.infra.topics,
  );
  // Only the health check uses this client: without an offline queue a ping fails at once while Redis is away.
  const redis = new Redis({
    ...redisConnection(config.infra.redis),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: config.infra.redis.commandTimeoutMs,
  });
  redis.on('error', () => undefined);

  // The node's own disclosures chain: what it publishes to other regions, the case reads it answers with
  // personal data, and its person index rows.
  const disclosures = new AuditLog(dataSource, { personKey: config.auditPersonKey, chain: DISCLOSURE_CHAIN });
  await disclosures.prepare();
  const cases = new CaseRepository(config.personIndexKey, disclosures);
  const minimiser = new Minimiser(catalogue, readMinimisationPolicy(minimisationPolicyPath(contractsDir())));
  const routing = new RoutingTable(config.routing);
  const timers = new TimerScheduler(
    `deadlines-${config.region}`,
    redisConnection(config.infra.redis),
    `${config.infra.redis.keyPrefix}:${config.database}`,
    logger,
  );
  const facts = new PersonFactsRepository(cases);
  const metrics = createMetricsRegistry('region-node', config.region);
  const breaches = counter(
    metrics,
    'tongban_deadline_breaches_total',
    'Deadlines breached (a CaseDeadlineBreached sent to the side that has to act), by workflow and timer',
    ['workflow', 'timer'],
  );
  const applyService = new ApplyEventService({
    workflows: NODE_WORKFLOWS,
    workflowLookups: (m): NodeLookups => ({ spouseOf: (idNumber) => facts.spouseOf(m, idNumber) }),
    facts,
    dataSource,
    node: config.region,
    calendar: config.calendar,
    deadlines: config.deadlines,
    cases,
    publisher: new FollowUpPublisher(
      new EventPublisher({ codec, routing, minimiser, topicNamespace: config.infra.topicNamespace, outboxLanes: config.outboxLanes, outbox: mysqlOutbox }),
      catalogue,
      config.region,
      minimiser,
      disclosures,
    ),
    timers,
    logger,
    onDeadlineBreached: (workflow, timer) => breaches.inc({ workflow, timer }),
  });
  const reconciler = new TimerReconciler(new CaseQueryRepository(dataSource), timers, config.region, config.timerReconcileMs, logger);
  const applied = counter(metrics, 'tongban_events_applied_total', 'Inbox events handled, by outcome', ['event_type', 'outcome']);
  const batches = counter(metrics, 'tongban_inbox_batches_total', 'Runs of inbox messages given to the batch path, by result (applied, fell-back)', ['result']);
  const batchMessages = counter(metrics, 'tongban_inbox_batch_messages_total', 'Inbox messages given to the batch path, by result', ['result']);
  const batchSeconds = histogram(
    metrics,
    'tongban_apply_batch_duration_seconds',
    'Time one run of inbox messages took in its transaction, by result',
    ['result'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  const appliedAge = histogram(
    metrics,
    'tongban_apply_age_seconds',
    "From acceptance at the gateway (the inbox record's timestamp) to applied at this node",
    [],
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
  );
  const deadLettered = counter(
    metrics,
    'tongban_events_dead_lettered_total',
    'Inbox events parked on the dead-letter topic, by workflow, event type and error code',
    ['workflow', 'event_type', 'error_code'],
  );
  // A year without a published State Council schedule counts weekends only: say so, once per year, and show it.
  const scheduleMissing = gauge(metrics, 'tongban_calendar_schedule_missing', 'Years the node counts with weekends only (no published holiday schedule)', [
    'year',
  ]);
  const reportMissingYear = (year: number) => {
    scheduleMissing.set({ year: String(year) }, 1);
    logger.event('warn', 'no published holiday schedule for this year: counting weekends only', { year, calendarDir: 'TONGBAN_CALENDAR_DIR' });
  };
  config.calendar.onMissingYear = reportMissingYear;
  const thisYear = Number(new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 4));
  for (const year of config.calendar.missingYears(thisYear, thisYear + 1)) reportMissingYear(year);
  const keep = config.retention.keepMs;
  const retention = new RetentionJob({
    dataSource,
    rules: [casePayloadsRule(keep.casePayloads), heldMessagesRule(keep.heldMessages), sentOutboxRule(keep.outbox)],
    intervalMs: config.retention.intervalMs,
    ...retentionMetrics(metrics),
    onError: (e) => logger.event('warn', 'retention purge failed', { error: (e as Error).message }),
  });
  const admin = kafka.admin();
  await admin.connect();
  // Health asks MySQL on a connection of its own, not behind the requests queued for the pool.
  const probe = mysqlProbe(dataSource, config.infra.mysqlPool);
  const checks: HealthCheck[] = [
    // Deadlines survive a Redis outage (reconciled from MySQL), so Redis down leaves the node degraded, not unready.
    ...dependencyChecks({ mysql: probe, kafka: admin, redis, tolerate: ['redis'] }),
    { name: 'deadlines', check: () => timers.ping() },
  ];
  const server = new ServerTongbanKafka({
    kafka,
    topicSettings: config.infra.topics,
    groupId: config.groupId,
    consumerGroup: config.infra.consumerGroup,
    topics: [inbox, local],
    codec,
    logger,
    partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
    // TONGBAN_RETRY_DELAYS (5s,1m,10m), TONGBAN_RETRY_IN_PLACE_ATTEMPTS (3), TONGBAN_RETRY_IN_PLACE_BACKOFF_MS (200)
    retry: config.retry,
    holds: new MysqlHoldStore(dataSource),
    // A run of a partition's inbox messages is applied in one transaction; a failed run goes message by message.
    applyBatch: config.applyBatchMax > 1 ? inboxBatchHandler(applyService, logger, applied) : undefined,
    applyBatchMax: config.applyBatchMax,
    onBatch: (result, size, seconds) => {
      batches.inc({ result });
      batchMessages.inc({ result }, size);
      if (seconds > 0) batchSeconds.observe({ result }, seconds);
    },
    onProcessed: (outcome, meta) => {
      // First deliveries from the inbox only: a retry copy or a replay is a later record of an older event.
      if (outcome === 'applied' && meta.timestamp && !meta.retryLevel && !meta.replayOf) appliedAge.observe(Math.max(0, Date.now() - meta.timestamp) / 1000);
      if (outcome === 'dead-lettered') {
        const eventType = meta.eventType ?? 'unknown';
        // Only the workflows' own event types become label values (a record that did not decode has none).
        const workflow = NODE_WORKFLOWS.definitionForEventType(eventType)?.workflow;
        deadLettered.inc({ workflow: workflow ?? 'unknown', event_type: workflow ? eventType : 'unknown', error_code: meta.errorCode ?? 'unknown' });
      }
    },
  });

  // Not ready while the inbox consumer is not running: before it started, and while it is started again after a crash.
  checks.push({
    name: 'inboxConsumer',
    check: async () => {
      if (!server.isConsuming) throw new Error('the inbox consumer is not running (starting, or being started again after a crash)');
    },
  });
  const closeLagMetrics = registerConsumerLagMetrics(metrics, { kafka, groupId: config.groupId, topics: () => [inbox, local, ...server.retryTopics] });

  @Module({})
  class RegionNodeModule {
    static build(): DynamicModule {
      return {
        module: RegionNodeModule,
        controllers: [InboxController, CasesQueryController, EventsQueryController, ArrivalsController, OpsController, HoldsController],
        providers: [
          { provide: ApplyEventService, useValue: applyService },
          { provide: CASE_REPOSITORY, useValue: cases },
          { provide: CASE_QUERIES, useValue: new CaseQueryRepository(dataSource) },
          { provide: NODE_LOGGER, useValue: logger },
          { provide: APPLIED_COUNTER, useValue: applied },
          { provide: ARRIVALS_INBOX, useValue: inbox },
          { provide: READ_DISCLOSURES, useValue: { audit: disclosures, minimiser, node: config.region } },
          { provide: HEALTH_CHECKS, useValue: checks },
          { provide: METRICS_REGISTRY, useValue: metrics },
          { provide: HOLD_ADMINISTRATION, useValue: server.holdAdministration },
        ],
      };
    }
  }

  const app = await NestFactory.create(RegionNodeModule.build(), { logger });

  app.use(httpMetrics(metrics, logger));
  installRequestLimits(app);
  app.useGlobalFilters(new HttpErrorFilter(logger));
  app.use(internalAccess(config.serviceToken, dataSource, logger));
  // Deferred, so that the filter is in place before the handlers are bound: without it Nest turns every
  // handler error into "Internal server error" and the transport could not tell retriable from permanent.
  const microservice = app.connectMicroservice({ strategy: server }, { deferInitialization: true });
  microservice.useGlobalFilters(new PassThroughRpcFilter());

  return {
    app,
    dataSource,
    retention,
    async start() {
      timers.start((job) => applyService.fireTimer(job).then(() => undefined));
      retention.start();
      await reconciler.start();
      await app.startAllMicroservices();
      await app.listen(config.port, config.host);
      logger.event('info', 'region node started', { inbox, local, group: config.groupId, port: config.port });
    },
    async close() {
      await app.close();
      await retention.stop();
      reconciler.stop();
      await timers.close();
      await closeLagMetrics();
      await admin.disconnect().catch(() => undefined);
      redis.disconnect();
      await probe.close();
      await dataSource.destroy();
    },
  };
}
