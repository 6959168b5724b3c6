import { DataSource, EntityManager } from 'typeorm';
import type { Envelope } from '@tongban/avro';
import type { WorkingCalendar } from '@tongban/calendar';
import { activeSpanLink, extractTraceContext, inSpan, JsonLogger, SpanKind } from '@tongban/observability';
import { covers } from '@tongban/regions';
import {
  AppliedDecision,
  applyDecision,
  CARRIED_OVER_TOPIC,
  carriedHistoryOf,
  CaseIdNotOwnedError,
  entriesToCarry,
  toCarriedEntry,
  caseIdOpenerProblem,
  CaseLookups,
  CaseSnapshot,
  DeadlinesConfig,
  deathNoticeFrom,
  deathNoticesFor,
  decide,
  decideTimer,
  Decision,
  FollowUpEvent,
  householdChangeFor,
  IncomingEvent as DomainEvent,
  isPublishedBy,
  knownDeathFrom,
  maritalRecordFrom,
  reactToDeathByRecords,
  reactToDeathNotice,
  reactToHouseholdChange,
  refuse,
  TimerStart,
  toInstant,
  withoutIdNumbers,
  WorkflowRegistry,
} from '../domain';
import { CaseRepository, PersonFactsRepository } from '../infrastructure/case.repository';
import { CaseWork, personIdsIn } from './case-work';
import { eventIdFor, FollowUpPublisher } from '../infrastructure/follow-up.publisher';
import type { TimerJob } from '../infrastructure/timer.scheduler';

/** The decoded Avro record of an inbox event: the envelope plus the payload's fields. */
export interface IncomingEvent {
  envelope: Envelope;
  [field: string]: unknown;
}

export interface Delivery {
  topic: string;
  partition: number;
  offset: string;
  schemaId: number;
  /**
   * The message's `traceparent` / `tracestate` when it is applied as part of a batch: the message then gets a span of
   * its own under that trace (the transport's span covers a message applied alone).
   */
  traceHeaders?: Record<string, string>;
}

export type ApplyOutcome = 'applied' | 'rejected' | 'noted' | 'duplicate';

/** One inbox message of a batch, decoded, with where it was read. */
export interface InboxItem {
  event: IncomingEvent;
  delivery: Delivery;
}

/**
 * Requests and answers that reach a region taking part in a case held by another node (a marital status
 * check sent to a party's hukou region, the record update, a death notice fanned out). Such a node keeps
 * them as the case's history on its side instead of refusing them as events of an unknown case.
 */
export const PARTICIPATION_EVENTS: ReadonlySet<string> = new Set([
  'MaritalStatusCheckRequested',
  'MaritalStatusCheckAnswered',
  'MarriageRecordUpdated',
  'DivorceApplicationLapsed',
  'DeathNoticeIssued',
  'CaseEventRejected',
  'CaseDeadlineBreached',
]);

/** What must happen to BullMQ once the transaction has committed. */
interface TimerWork {
  schedule: TimerJob[];
  cancel: TimerJob[];
}

export interface TimerPort {
  schedule(t: TimerJob): Promise<void>;
  /** Several at once (one call to Redis); without it, `schedule` is called for each. */
  scheduleMany?(ts: TimerJob[]): Promise<void>;
  cancel(t: TimerJob): Promise<void>;
}

export interface ApplyEventDeps<L extends object = object> {
  /** The node's workflows (composed in src/workflows.ts). */
  workflows: WorkflowRegistry<L>;
  /** The lookups the workflows ask for beyond the common ones, answered inside the event's transaction. */
  workflowLookups: (m: EntityManager) => L;
  dataSource: DataSource;
  node: string;
  calendar: WorkingCalendar;
  deadlines: DeadlinesConfig;
  cases: CaseRepository;
  /** Deaths and marital records; made from `cases` when left out. */
  facts?: PersonFactsRepository;
  publisher: FollowUpPublisher;
  timers: TimerPort;
  logger: JsonLogger;
  now?: () => Date;
  /** Told, after the commit, of each deadline that was breached (a CaseDeadlineBreached sent to the side that has to act). */
  onDeadlineBreached?: (workflow: string, timer: string) => void;
}

/**
 * Applies an inbox event to its case through the workflow's state machine, in one transaction with the
 * case's history, its deadlines, and the events the decision publishes (through the outbox). The history row
 * is keyed by the event id: an event whose id the history holds is not applied again (a redelivery or a replay
 * is a no-op). An event that does not fit the case is recorded as
 * rejected with its reason and answered to the sender by a CaseEventRejected; the consumer goes on.
 */
export class ApplyEventService<L extends object = object> {
  private readonly facts: PersonFactsRepository;

  constructor(private readonly deps: ApplyEventDeps<L>) {
    this.facts = deps.facts ?? new PersonFactsRepository(deps.cases);
  }

  async apply(event: IncomingEvent, delivery: Delivery): Promise<ApplyOutcome> {
    const [outcome] = await this.applyBatch([{ event, delivery }]);
    return outcome;
  }

  /**
   * Applies the messages of one partition batch in one transaction, in offset order: their event ids looked up
   * together in the history (an id applied before, or seen earlier in the batch, is a duplicate), their cases read and
   * locked together, each decided on the cases as the earlier messages left them, then the cases, history and deadlines
   * written in a few multi-row statements and committed once; the deadlines go to BullMQ after the commit. A
   * refusal by the case is an outcome like any other; anything thrown rolls the whole batch back.
   */
  async applyBatch(items: InboxItem[]): Promise<ApplyOutcome[]> {
    const work: TimerWork = { schedule: [], cancel: [] };
    const outcomes = await this.deps.dataSource.transaction('READ COMMITTED', async (m) => {
      // The cases first: a transaction applying one of these events at the same moment holds its case, and once
      // it has committed the history read next holds the event.
      const cases = new CaseWork(m, this.deps.cases, this.facts);
      await cases.prefetch(items.map((i) => i.event.envelope.caseId));
      const ids = [...new Set(items.map((i) => i.event.envelope.eventId))];
      const applied = new Set(await this.deps.cases.keptEventIds(m, ids));
      const fresh = new Set(ids.filter((id) => !applied.has(id)));
      // A batch reads its persons' cases and deaths together; one message asks as it goes.
      if (items.length > 1) await cases.prefetchPersons(items.filter((i) => fresh.has(i.event.envelope.eventId)).flatMap((i) => personIdsIn(i.event)));
      const out: ApplyOutcome[] = [];
      for (const item of items) {
        const { eventId } = item.event.envelope;
        if (!fresh.delete(eventId)) {
          out.push('duplicate');
          continue;
        }
        out.push(await this.applyTraced(m, cases, item, work));
      }
      await cases.flush();
      return out;
    });
    await this.afterCommit(work);
    return outcomes;
  }

  /**
   * A message of a batch in a span of its own, child of the trace its headers carry and linked to the batch's span:
   * the follow-ups it publishes carry this span onwards. A message applied alone is in the transport's span already.
   */
  private applyTraced(m: EntityManager, cases: CaseWork, item: InboxItem, work: TimerWork): Promise<ApplyOutcome> {
    const { traceHeaders, topic, partition, offset } = item.delivery;
    if (!traceHeaders) return this.applyOne(m, cases, item, work);
    const { envelope } = item.event;
    const batch = activeSpanLink();
    return inSpan(
      `apply ${envelope.eventType}`,
      {
        kind: SpanKind.CONSUMER,
        parent: extractTraceContext(traceHeaders),
        links: batch ? [batch] : [],
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': Number(offset),
          'tongban.event_type': envelope.eventType,
          'tongban.event_id': envelope.eventId,
          'tongban.case_id': envelope.caseId,
        },
      },
      async (span) => {
        const outcome = await this.applyOne(m, cases, item, work);
        span.setAttribute('tongban.outcome', outcome);
        return outcome;
      },
    );
  }

  private async applyOne(m: EntityManager, cases: CaseWork, { event, delivery }: InboxItem, work: TimerWork): Promise<ApplyOutcome> {
    const { envelope } = event;
    const { envelope: _e, ...payload } = event;
    const incoming: DomainEvent = {
      eventType: envelope.eventType,
      eventId: envelope.eventId,
      caseId: envelope.caseId,
      sourceRegion: envelope.sourceRegion,
      targetRegion: envelope.targetRegion,
      sourceOffice: envelope.sourceOffice,
      targetOffice: (envelope as { targetOffice?: string | null }).targetOffice ?? null,
      occurredAt: envelope.occurredAt,
      payload,
    };
    const loaded = await cases.load(envelope.caseId);
    const now = this.now();
    const meta = { delivery, correlationId: envelope.correlationId, payload };
    // A case id belongs to its opener: an opening event naming another opener is refused before it
    // meets the case, and its answer says nothing of whether such a case exists.
    const notOwned = this.deps.workflows.opensCase(envelope.eventType)
      ? caseIdOpenerProblem(envelope.caseId, envelope.sourceRegion, envelope.sourceOffice)
      : undefined;
    if (notOwned) {
      const refused = refuse(undefined, incoming, new CaseIdNotOwnedError(`case id ${envelope.caseId}: ${notOwned}`), now);
      return this.record(m, cases, undefined, incoming, refused, meta, work, now);
    }
    const decision = await decide(loaded?.snapshot, incoming, this.context(m, cases, now));

    await this.rememberMaritalRecord(m, cases, incoming, loaded?.snapshot, decision, envelope.correlationId);
    const death = knownDeathFrom(incoming);
    if (death && (envelope.eventType === 'DeathNoticeIssued' || decision.kind === 'applied')) {
      await this.reactToDeath(m, cases, incoming, decision, envelope.correlationId, now);
      if (decision.kind === 'rejected' && decision.reasonCode === 'UNKNOWN_CASE') {
        // The notice fans out to every region with a case for the person; this node has no funeral case.
        await this.history(cases, incoming, meta, 'noted', 'death remembered; reactions published', '-');
        return 'noted';
      }
    } else if (decision.kind === 'rejected' && decision.reasonCode === 'UNKNOWN_CASE' && !loaded && PARTICIPATION_EVENTS.has(envelope.eventType)) {
      await this.history(cases, incoming, meta, 'noted', "case held by another node; kept as this region's part of it", '-');
      return 'noted';
    }
    if (decision.kind === 'applied' && envelope.eventType === 'SubsidyCaseHandedOver') await this.carryHistory(m, cases, incoming);
    return this.record(m, cases, loaded, incoming, decision, meta, work, now);
  }

  /**
   * A case handed over moves with its history: the entries the hand-over carries are kept before it, marked as
   * carried over (topic `carried-over`, no payload). Entries this node keeps already — it held the case, or the
   * hand-over came again — are not written twice.
   */
  private async carryHistory(m: EntityManager, cases: CaseWork, incoming: DomainEvent): Promise<void> {
    const entries = carriedHistoryOf(incoming.payload);
    if (entries.length === 0) return;
    // What this transaction wrote so far is in MySQL before the history is compared.
    await cases.flush();
    const kept = await this.deps.cases.keptEventIds(
      m,
      entries.map((e) => e.eventId),
    );
    for (const e of entriesToCarry(entries, kept)) {
      await cases.append({
        eventId: e.eventId,
        caseId: incoming.caseId,
        eventType: e.eventType,
        sourceRegion: e.sourceRegion,
        targetRegion: e.targetRegion,
        sourceOffice: null,
        targetOffice: null,
        occurredAt: e.occurredAt,
        correlationId: incoming.eventId,
        schemaId: 0,
        outcome: e.outcome,
        reason: `carried over from ${incoming.sourceRegion} with the hand-over ${incoming.eventId}`,
        stateAfter: e.stateAfter,
        payload: '{}',
        kafkaTopic: CARRIED_OVER_TOPIC,
        kafkaPartition: -1,
        kafkaOffset: '0',
        carried: true,
      });
    }
  }

  /** A hand-over this node publishes carries the case's history as this node keeps it (payloads left behind). */
  private async withHistory(m: EntityManager, cases: CaseWork, e: FollowUpEvent): Promise<FollowUpEvent> {
    if (e.eventType !== 'SubsidyCaseHandedOver' || (Array.isArray(e.payload.priorHistory) && e.payload.priorHistory.length > 0)) return e;
    await cases.flush();
    const priorHistory = (await this.deps.cases.historyOf(m, e.caseId)).map(toCarriedEntry);
    return { ...e, payload: { ...e.payload, priorHistory } };
  }

  /** A deadline fell due: escalate, lapse or advance the case as its state machine says. */
  async fireTimer(job: TimerJob): Promise<ApplyOutcome> {
    const work: TimerWork = { schedule: [], cancel: [] };
    let breached: string | undefined;
    const outcome = await this.deps.dataSource.transaction('READ COMMITTED', async (m) => {
      const cases = new CaseWork(m, this.deps.cases, this.facts);
      const loaded = await cases.load(job.caseId);
      if (!loaded) return 'noted' as const;
      const now = this.now();
      const decision = decideTimer(loaded.snapshot, job.name, this.context(m, cases, now));
      if (decision.kind === 'rejected') {
        this.deps.logger.event('debug', 'timer had nothing to do', { caseId: job.caseId, timer: job.name, reason: decision.reasonCode });
        return 'noted' as const;
      }
      const incoming: DomainEvent = {
        eventType: `deadline:${job.name}`,
        eventId: eventIdFor(`deadline:${job.caseId}:${job.name}:${job.dueAt}`),
        caseId: job.caseId,
        sourceRegion: this.deps.node,
        targetRegion: this.deps.node,
        occurredAt: now,
        payload: { timer: job.name, dueAt: job.dueAt },
      };
      const delivery = { topic: 'timer', partition: -1, offset: '0', schemaId: 0 };
      const outcome = await this.record(
        m,
        cases,
        loaded,
        incoming,
        decision,
        { delivery, correlationId: incoming.eventId, payload: incoming.payload },
        work,
        now,
      );
      await cases.flush();
      if (decision.emits.some((e) => e.eventType === 'CaseDeadlineBreached')) breached = loaded.snapshot.workflow;
      return outcome;
    });
    await this.afterCommit(work);
    if (breached) this.deps.onDeadlineBreached?.(breached, job.name);
    return outcome;
  }

  private async record(
    m: EntityManager,
    cases: CaseWork,
    loaded: { snapshot: CaseSnapshot; version: number } | undefined,
    incoming: DomainEvent,
    decision: Decision,
    meta: { delivery: Delivery; correlationId: string; payload: Record<string, unknown> },
    work: TimerWork,
    now: Date,
  ): Promise<ApplyOutcome> {
    const mine = (e: FollowUpEvent) => isPublishedBy(this.deps.node, e.sourceRegion);
    const published: FollowUpEvent[] = [];
    for (const e of decision.emits.filter(mine)) published.push(await this.withHistory(m, cases, e));
    await this.deps.publisher.publish(m, published, meta.correlationId);
    if (decision.kind === 'rejected') {
      await this.history(cases, incoming, meta, 'rejected', withoutIdNumbers(`${decision.reasonCode}: ${decision.reason}`), loaded?.snapshot.state ?? '-');
      this.deps.logger.event('warn', 'event refused by the case', { eventType: incoming.eventType, reason: decision.reasonCode });
      return 'rejected';
    }
    const after = applyDecision(loaded?.snapshot, decision, now);
    cases.save(after, incoming.eventId);
    await this.history(cases, incoming, meta, 'applied', null, after.state);
    const before = loaded?.snapshot.timers ?? {};
    cases.cancelTimers(after.caseId, decision.timers.cancel);
    for (const name of decision.timers.cancel) {
      if (before[name]) work.cancel.push({ caseId: after.caseId, name, dueAt: before[name].dueAt });
    }
    const owned = decision.timers.start.filter((t: TimerStart) => isPublishedBy(this.deps.node, t.ownerDivision));
    cases.startTimers(after.caseId, decision.timers.start, now);
    for (const t of owned) work.schedule.push({ caseId: after.caseId, name: t.name, dueAt: t.dueAt.toISOString() });
    if (incoming.eventType !== 'MarriageRecordUpdated') await this.householdChanged(m, cases, incoming, after, meta.correlationId);
    return 'applied';
  }

  /**
   * A death registered here or announced by a notice: the node remembers it (no new case for the person, one
   * funeral case per death), reacts on its own cases and records, and — for a registration — sends the death
   * notices to the other regions with an open case of the person.
   */
  private async reactToDeath(m: EntityManager, cases: CaseWork, incoming: DomainEvent, decision: Decision, correlationId: string, now: Date): Promise<void> {
    const notice = deathNoticeFrom(incoming);
    await this.facts.rememberDeath(m, notice.deceasedIdNumber, knownDeathFrom(incoming)!);
    cases.noteDeath(notice.deceasedIdNumber, knownDeathFrom(incoming)!);
    const node = { node: this.deps.node };
    const personCases = await cases.casesOfPerson(notice.deceasedIdNumber);
    const record = await this.facts.maritalRecordOf(m, notice.deceasedIdNumber);
    const reactions = [...reactToDeathNotice(this.deps.workflows, notice, personCases, node), ...reactToDeathByRecords(notice, record ? [record] : [], node)];
    if (incoming.eventType === 'DeathRegistered' && decision.kind === 'applied') {
      const funeral = applyDecision(undefined, decision as AppliedDecision, now);
      reactions.push(...deathNoticesFor(this.deps.workflows, funeral, personCases, notice, node));
    }
    const seen = new Set(decision.emits.map((e) => e.dedupeKey));
    const unique = reactions.filter((r) => !seen.has(r.dedupeKey) && (seen.add(r.dedupeKey), true));
    await this.deps.publisher.publish(m, unique, correlationId);
  }

  /** A record update addressed to a region this node serves: keep the person's status and spouse. */
  private async rememberMaritalRecord(
    m: EntityManager,
    cases: CaseWork,
    incoming: DomainEvent,
    snapshot: CaseSnapshot | undefined,
    decision: Decision,
    correlationId: string,
  ): Promise<void> {
    if (incoming.eventType !== 'MarriageRecordUpdated' || !covers(this.deps.node, incoming.targetRegion)) return;
    if (decision.kind === 'rejected' && decision.reasonCode !== 'UNKNOWN_CASE') return;
    const record = maritalRecordFrom(this.deps.workflows, incoming, snapshot);
    if (record) await this.facts.saveMaritalRecord(m, record);
    await this.householdChanged(m, cases, incoming, snapshot, correlationId);
  }

  /**
   * A marriage or divorce registered here, or recorded by a record region this node serves: link or unlink the
   * spouses for later checks, and flag the open economic checks of either to their requesters.
   */
  private async householdChanged(
    m: EntityManager,
    cases: CaseWork,
    incoming: DomainEvent,
    snapshot: CaseSnapshot | undefined,
    correlationId: string,
  ): Promise<void> {
    const change = householdChangeFor(this.deps.workflows, incoming, snapshot);
    if (!change) return;
    const [a, b] = change.members;
    await this.deps.cases.linkHousehold(m, a, b, change.effectiveOn, change.kind === 'spouses-joined', change.caseId, change.persons);
    const checks = [...(await cases.casesOfPerson(a, 'economic-check')), ...(await cases.casesOfPerson(b, 'economic-check'))];
    const unique = [...new Map(checks.map((c) => [c.caseId, c])).values()];
    await this.deps.publisher.publish(
      m,
      reactToHouseholdChange(this.deps.workflows, change, unique, toInstant(incoming.occurredAt), { node: this.deps.node }, incoming.eventId),
      correlationId,
    );
  }

  private async history(
    cases: CaseWork,
    e: DomainEvent,
    meta: { delivery: Delivery; correlationId: string; payload: Record<string, unknown> },
    outcome: ApplyOutcome,
    reason: string | null,
    stateAfter: string,
  ): Promise<void> {
    await cases.append({
      eventId: e.eventId,
      caseId: e.caseId,
      eventType: e.eventType,
      sourceRegion: e.sourceRegion,
      targetRegion: e.targetRegion,
      sourceOffice: e.sourceOffice ?? null,
      targetOffice: e.targetOffice ?? null,
      occurredAt: new Date(e.occurredAt as string),
      correlationId: meta.correlationId,
      schemaId: meta.delivery.schemaId,
      outcome,
      reason,
      stateAfter,
      payload: JSON.stringify(meta.payload),
      kafkaTopic: meta.delivery.topic,
      kafkaPartition: meta.delivery.partition,
      kafkaOffset: meta.delivery.offset,
    });
  }

  private context(m: EntityManager, cases: CaseWork, now: Date) {
    const common: CaseLookups = {
      casesOfPerson: (idNumber, workflow) => cases.casesOfPerson(idNumber, workflow),
      deathOf: (idNumber) => cases.deathOf(idNumber),
    };
    const lookups = { ...common, ...this.deps.workflowLookups(m) };
    return { workflows: this.deps.workflows, calendar: this.deps.calendar, now, lookups, deadlines: this.deps.deadlines };
  }

  private async afterCommit(work: TimerWork): Promise<void> {
    // If this fails the case_timers rows remain and the periodic reconciliation schedules them.
    for (const t of work.cancel) await this.deps.timers.cancel(t).catch(() => undefined);
    const notScheduled = (ts: TimerJob[]) => (e: unknown) =>
      this.deps.logger.event('warn', 'deadline not scheduled yet; reconciliation will retry', {
        caseId: ts[0].caseId,
        timer: ts[0].name,
        deadlines: ts.length,
        error: (e as Error).message,
      });
    const { timers } = this.deps;
    if (timers.scheduleMany && work.schedule.length > 1) {
      await timers.scheduleMany(work.schedule).catch(notScheduled(work.schedule));
      return;
    }
    for (const t of work.schedule) await timers.schedule(t).catch(notScheduled([t]));
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}
