import 'reflect-metadata';
import { FailedAttemptLimiter, failedAuthGuard } from '@tongban/auth';
import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { AuditLog, AuditRecordGroups1768000000000, DISCLOSURE_CHAIN } from '@tongban/audit';
import { AvroCodec, RecordValidator, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { HttpErrorFilter, installRequestLimits, repositoryVersion, SERVICE_API_DOCUMENT } from '@tongban/http';
import {
  createKafka,
  ensureTopics,
  EventPublisher,
  MirrorLagReader,
  registerConsumerLagMetrics,
  registerMirrorLagMetrics,
  RenewingProducer,
} from '@tongban/kafka';
import { LINK_LAG } from './link/link.controller';
import { LinkLag } from './link/link-lag';
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
import { mysqlOutbox, mysqlProbe, openDatabase, RetentionJob } from '@tongban/persistence';
import { Minimiser, minimisationPolicyPath, readMinimisationPolicy } from '@tongban/masking';
import { DivisionCatalogue, formatCheckers, RoutingTable, topics } from '@tongban/regions';
import { OpsConfig } from './ops.config';
import { OpsSchema1764300000000 } from './migrations/1764300000000-ops-schema';
import { OperatorRegistry } from './operators/operator-registry';
import { OPERATORS } from './operators/operator-request';
import { DeadLetterRepository } from './dead-letters/infrastructure/dead-letter.repository';
import { resolvedDeadLettersRule } from './dead-letters/infrastructure/dead-letter.retention';
import { NodeClient } from './dead-letters/infrastructure/node-client';
import { ReplayJobRepository } from './dead-letters/infrastructure/replay-job.repository';
import { DlqConsumer } from './dead-letters/infrastructure/dlq.consumer';
import { IngestDeadLetterService } from './dead-letters/application/ingest-dead-letter.service';
import { DeadLetterService } from './dead-letters/application/dead-letter.service';
import { BulkReplayService } from './dead-letters/application/bulk-replay.service';
import { AUDIT_WITNESS, CHAIN_VERIFIER, OPS_AUDIT } from './audit/audit.controller';
import { AuditDatabases } from './audit/witness/audit-databases';
import { AuditWitness, witnessTopic } from './audit/witness/audit-witness';
import { WitnessStore } from './audit/witness/witness-store';
import { AuditWitness1764400000000 } from './migrations/1764400000000-audit-witness';
import { TransitReceipts1767100000000 } from './migrations/1767100000000-transit-receipts';
import { ReplayJobCancel1767300000000 } from './migrations/1767300000000-replay-job-cancel';
import { WorkflowNames1767300000001 } from './migrations/1767300000001-workflow-names';
import { DeadLetterPersons1768100000000 } from './migrations/1768100000000-dead-letter-persons';
import { DeadLetterCopies1768200000000 } from './migrations/1768200000000-dead-letter-copies';
import { ReceiptStore } from './transit/receipt-store';
import { DeadLetterArrivals, NodeArrivals, TransitReceipts } from './transit/transit-receipts';
import { OPS_SERVICE_TOKEN, TRANSIT_STORE } from './transit/transit.controller';
import { ChainVerifier } from './audit/chain-verifier';
import { HoldsService } from './holds/holds.service';
import { DeliveryClient } from './deliveries/delivery-client';
import { DeliveriesService } from './deliveries/deliveries.service';
import { InboxLagReader, OutboxBacklogReader } from './pipeline/pipeline-readers';
import { PipelineService } from './pipeline/pipeline.service';
import { OPS_CONTROLLERS } from './controllers';
import { buildOpsOpenApiDocument } from './openapi';

export interface OpsApp {
  app: INestApplication;
  dataSource: DataSource;
  audit: AuditLog;
  /** Empties resolved dead letters past their retention. */
  retention: RetentionJob;
  /** The dead-letter topics read, one per node. */
  dlqTopics: string[];
  /** The other province's witness of this one's audit chains; undefined without a partner province. */
  witness?: AuditWitness;
  /** Receipts of events crossing between the provinces; undefined without a partner province. */
  transit?: TransitReceipts;
  /** Starts reading the dead-letter topics and serving HTTP (port 0 picks a free one); resolves to the base URL. */
  start(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** Builds the ops service: database migrated, dead-letter topics present, not yet consuming or listening. */
export async function createOpsApp(config: OpsConfig, logger = new JsonLogger('ops')): Promise<OpsApp> {
  const dataSource = await openDatabase({
    mysql: config.infra.mysql,
    pool: config.infra.mysqlPool,
    database: config.database,
    entities: [],
    migrations: [
      OpsSchema1764300000000,
      AuditWitness1764400000000,
      TransitReceipts1767100000000,
      ReplayJobCancel1767300000000,
      WorkflowNames1767300000001,
      AuditRecordGroups1768000000000,
      DeadLetterPersons1768100000000,
      DeadLetterCopies1768200000000,
    ],
  });
  // Health asks MySQL on a connection of its own, not behind the requests queued for the pool.
  const probe = mysqlProbe(dataSource, config.infra.mysqlPool);
  const closers: Array<() => Promise<unknown>> = [() => dataSource.destroy(), () => probe.close()];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
    const registry = new SchemaRegistryClient(config.infra.schemaRegistryUrl, { auth: config.infra.schemaRegistryAuth });
    const codec = new AvroCodec(catalogue, registry, true);
    const kafka = createKafka(config.infra.kafkaBrokers, config.infra.kafkaClientId, logger, config.infra.kafkaCredentials);
    const dlqTopics = config.nodes.flatMap((node) => [
      topics.dlq(topics.inbox(config.infra.topicNamespace, node)),
      topics.dlq(topics.local(config.infra.topicNamespace, node)),
    ]);
    await ensureTopics(
      kafka,
      [
        ...config.nodes.flatMap((node) => [
          { topic: topics.inbox(config.infra.topicNamespace, node) },
          { topic: topics.local(config.infra.topicNamespace, node) },
        ]),
        ...dlqTopics.map((topic) => ({ topic, numPartitions: 1 })),
        // One partition each: the witness records of a province stay in order. The partner's mirror copies the
        // outgoing one; the incoming one is where this province's mirror writes.
        ...(config.witness
          ? [config.witness.province, config.witness.partner].map((p) => ({ topic: witnessTopic(config.infra.topicNamespace, p), numPartitions: 1 }))
          : []),
      ],
      config.infra.topics,
    );
    // Replays, receipts and witness records: a producer the broker no longer accepts the sequence numbers of is
    // replaced (as the relay's), instead of refusing every later send until ops restarts.
    const producer = new RenewingProducer(kafka, undefined, (refusal) =>
      logger.event('warn', 'kafka producer renewed after the broker refused its sequence numbers', { refusal }),
    );
    await producer.connect();
    closers.push(() => producer.disconnect());
    const admin = kafka.admin();
    await admin.connect();
    closers.push(() => admin.disconnect());

    const metrics = createMetricsRegistry('ops');
    const repository = new DeadLetterRepository(dataSource);
    const stored = counter(metrics, 'tongban_dlq_stored_total', 'Dead letters stored, by dead-letter topic', ['topic']);
    const actions = counter(metrics, 'tongban_dlq_actions_total', 'Operator actions on dead letters', ['action']);
    new Gauge({
      name: 'tongban_dlq_depth',
      help: 'Dead letters parked (neither replayed nor discarded), by dead-letter topic',
      labelNames: ['topic'],
      registers: [metrics],
      async collect() {
        this.reset();
        for (const t of dlqTopics) this.set({ topic: t }, 0);
        for (const { topic, depth } of await repository.depth()) this.set({ topic }, depth);
      },
    });

    // The flow into this province from the other one: its lag in /metrics, GET /v1/link and the console.
    const links: LinkLag[] = [];
    if (config.mirror) {
      const m = config.mirror;
      const reader = new MirrorLagReader({
        source: createKafka(m.sourceBrokers, `${config.infra.kafkaClientId}-link`, logger, m.credentials, { enabled: true, caFile: m.caFile }),
        target: kafka,
        sourceAlias: m.sourceAlias,
        targetAlias: m.targetAlias,
        topics: topics.inboxPattern(config.infra.topicNamespace, config.nodes),
        groupId: `${m.sourceAlias}-mm2-lag-${config.infra.topicNamespace}`,
      });
      links.push(new LinkLag(reader, m.threshold));
      registerMirrorLagMetrics(metrics, links, m.threshold, logger);
      closers.push(() => Promise.all(links.map((l) => l.close())));
    }

    const audit = new AuditLog(dataSource, { personKey: config.auditPersonKey, chain: 'ops' });
    await audit.prepare();
    const disclosures = new AuditLog(dataSource, { personKey: config.auditPersonKey, chain: DISCLOSURE_CHAIN });
    await disclosures.prepare();
    const minimiser = new Minimiser(catalogue, readMinimisationPolicy(minimisationPolicyPath(contractsDir())));
    const publishChecks = {
      publisher: new EventPublisher({
        codec,
        routing: new RoutingTable(config.routing),
        minimiser,
        topicNamespace: config.infra.topicNamespace,
        outbox: mysqlOutbox,
      }),
      minimiser,
      disclosures,
    };
    const auditDatabases = new AuditDatabases(dataSource, config.database, config.infra.mysql, config.auditDatabases);
    const witnessStore = new WitnessStore(dataSource);
    const witnessConflicts = counter(
      metrics,
      'tongban_audit_witness_conflicts_total',
      'Heads the other province reported of its audit chains that contradict earlier ones (a chain cut short or rewritten there)',
      ['chain'],
    );
    // Receipts of events that crossed: sent for what this province's nodes recorded of the partner's events, and
    // kept of this province's events; both on the witness channel.
    const receiptStore = new ReceiptStore(dataSource);
    const receiptsSent = counter(metrics, 'tongban_transit_receipts_sent_total', 'Receipts of events from the other province sent back to it', []);
    const transit = config.transit
      ? new TransitReceipts(
          config.transit,
          config.infra.topicNamespace,
          producer,
          codec,
          receiptStore,
          config.nodes.flatMap((node) => {
            const url = config.nodeUrls.get(node);
            const inbox = topics.inbox(config.infra.topicNamespace, node);
            return [
              ...(url ? [new NodeArrivals(node, url, config.transit!.partner, config.nodeServiceToken)] : []),
              new DeadLetterArrivals(dataSource, node, inbox, config.transit!.partner),
            ];
          }),
          logger,
          (n) => receiptsSent.inc(n),
        )
      : undefined;
    const witness = config.witness
      ? new AuditWitness(
          config.witness,
          config.infra.topicNamespace,
          kafka,
          producer,
          codec,
          witnessStore,
          auditDatabases,
          logger,
          `${config.groupId}.witness`,
          (c) => witnessConflicts.inc({ chain: `${c.database}.${c.chain}` }),
          transit ? (bytes, ref) => transit.handle(bytes, ref) : undefined,
        )
      : undefined;
    if (transit) closers.push(() => transit.stop());
    // Before the producer disconnects (closers run last first): the last heads go out on shutdown.
    if (witness) closers.push(() => witness.stop());
    const nodes = new NodeClient(config.nodeUrls, logger, config.nodeServiceToken);
    const ingest = new IngestDeadLetterService(
      repository,
      codec,
      logger,
      (topic) => stored.inc({ topic }),
      (idNumber) => audit.personRef(idNumber),
    );
    const deadLetters = new DeadLetterService(
      dataSource,
      repository,
      codec,
      new RecordValidator(formatCheckers(new DivisionCatalogue())),
      producer,
      nodes,
      audit,
      logger,
      publishChecks,
      (action) => actions.inc({ action }),
    );
    const jobs = new BulkReplayService(new ReplayJobRepository(dataSource), repository, deadLetters, nodes, audit, logger, {
      defaultRate: config.replayRate,
      maxRate: config.maxReplayRate,
      outcomeWaitMs: config.replayOutcomeWaitMs,
      maxItems: config.replayMaxItems,
      maxJobs: config.replayMaxJobs,
    });
    closers.push(() => jobs.stop());
    const retention = new RetentionJob({
      dataSource,
      rules: [resolvedDeadLettersRule(config.retention.keepMs.deadLetters)],
      intervalMs: config.retention.intervalMs,
      ...retentionMetrics(metrics),
      onError: (e) => logger.event('warn', 'retention purge failed', { error: (e as Error).message }),
    });
    closers.push(() => retention.stop());
    const consumer = new DlqConsumer(kafka, config.groupId, dlqTopics, ingest, logger, config.infra.consumerGroup);
    closers.push(registerConsumerLagMetrics(metrics, { kafka, groupId: config.groupId, topics: () => dlqTopics }));
    const deliveries = new DeliveriesService(config.delivery ? new DeliveryClient(config.delivery) : undefined, audit, logger);
    // Every group of this province's namespace on its nodes' inbox topics (the cluster is the province's own).
    const pipeline = new PipelineService(
      new OutboxBacklogReader(config.infra.mysql, config.pipeline.outboxDatabases),
      new InboxLagReader(
        admin,
        `${config.infra.topicNamespace}.`,
        config.nodes.flatMap((node) => [topics.inbox(config.infra.topicNamespace, node), topics.local(config.infra.topicNamespace, node)]),
      ),
      config.pipeline.threshold,
    );
    const checks: HealthCheck[] = [...dependencyChecks({ mysql: probe, kafka: admin }), { name: 'schemaRegistry', check: () => registry.ping() }];

    @Module({})
    class OpsModule {
      static build(): DynamicModule {
        return {
          module: OpsModule,
          // The jobs controller first: its fixed path must win over `v1/dlq/:id`.
          controllers: OPS_CONTROLLERS,
          providers: [
            { provide: SERVICE_API_DOCUMENT, useValue: buildOpsOpenApiDocument(repositoryVersion()) },
            { provide: DeadLetterService, useValue: deadLetters },
            { provide: BulkReplayService, useValue: jobs },
            { provide: HoldsService, useValue: new HoldsService(nodes, repository, audit, logger) },
            { provide: DeliveriesService, useValue: deliveries },
            { provide: PipelineService, useValue: pipeline },
            { provide: OPERATORS, useValue: new OperatorRegistry(config.operators) },
            { provide: OPS_AUDIT, useValue: audit },
            {
              provide: CHAIN_VERIFIER,
              useValue: new ChainVerifier([audit, disclosures], config.database, config.infra.mysql, config.auditDatabases, config.auditPersonKey),
            },
            { provide: AUDIT_WITNESS, useValue: witness && config.witness ? { witness, store: witnessStore, partner: config.witness.partner } : null },
            { provide: HEALTH_CHECKS, useValue: checks },
            { provide: METRICS_REGISTRY, useValue: metrics },
            { provide: LINK_LAG, useValue: links },
            { provide: TRANSIT_STORE, useValue: receiptStore },
            { provide: OPS_SERVICE_TOKEN, useValue: config.nodeServiceToken },
          ],
        };
      }
    }

    const app = await NestFactory.create(OpsModule.build(), { logger, bodyParser: true });

    app.use(httpMetrics(metrics, logger));
    installRequestLimits(app);
    app.use(failedAuthGuard(new FailedAttemptLimiter(config.infra.authFailuresPerMinute)));
    app.useGlobalFilters(new HttpErrorFilter(logger));
    let consuming = false;
    return {
      app,
      dataSource,
      audit,
      retention,
      dlqTopics,
      witness,
      transit,
      async start(port = config.port, host = config.host) {
        await consumer.start();
        consuming = true;
        // Letters stored before the person index existed: indexed in the background, stopped on shutdown.
        let stopIndexing = false;
        const indexing = ingest
          .indexBacklog(() => stopIndexing)
          .catch((e) => logger.event('warn', 'indexing dead letters by person failed; ops indexes them at its next start', { error: (e as Error).message }));
        closers.push(async () => {
          stopIndexing = true;
          await indexing;
        });
        await witness?.start();
        transit?.start();
        retention.start();
        await app.listen(port, host);
        const address = app.getHttpServer().address() as AddressInfo;
        const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${address.port}`;
        logger.event('info', 'ops service started', { url, dlqTopics, group: config.groupId });
        return url;
      },
      async close() {
        await app.close();
        if (consuming) await consumer.stop().catch(() => undefined);
        await closeAll();
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
