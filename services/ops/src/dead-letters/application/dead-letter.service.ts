import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { IHeaders, Producer } from 'kafkajs';
import { AuditLog, canonicalJson, recordDisclosure } from '@tongban/audit';
import { authorisationProblems, AvroCodec, RecordValidator } from '@tongban/avro';
import { TongbanError, ValidationError } from '@tongban/errors';
import { NotFoundError } from '@tongban/http';
import { CONNECT_ERROR_HEADERS, EventPublisher, FAILURE_HEADERS } from '@tongban/kafka';
import { collectPii, maskBySchema, Minimiser } from '@tongban/masking';
import { JsonLogger } from '@tongban/observability';
import type { Operator } from '../../operators/operator-registry';
import { AppliedAnswer, DeadLetterFilter, deadLetterRef, regionOfTopic, REPLAY_HEADERS, replayRefOf } from '../domain/dead-letter';
import { correctedRecord, envelopeProblems } from '../domain/edit-rules';
import { changedPaths, pick } from '../domain/json-diff';
import { DeadLetterCounts, DeadLetterRepository, DeadLetterRow, Page } from '../infrastructure/dead-letter.repository';
import { NodeClient } from '../infrastructure/node-client';
import { toJson } from './ingest-dead-letter.service';

export class ConflictError extends TongbanError {
  constructor(message: string) {
    super('OPS.DEAD_LETTER_CONFLICT', message);
  }
}

export interface ReplayResult {
  id: number;
  state: 'replayed';
  /** Whether the node had applied the event before this replay ('yes': the replay is a no-op there). */
  alreadyApplied: AppliedAnswer;
  replayedTo: { topic: string; partition: number; offset: string };
  replayRef: string;
  hold: string;
}

const FAILURE_HEADER_NAMES = new Set<string>([...Object.values(FAILURE_HEADERS), ...Object.values(CONNECT_ERROR_HEADERS), ...Object.values(REPLAY_HEADERS)]);

/**
 * What a corrected replay goes through besides the schema, as an event at the gateway does: the
 * minimisation policy for the copy's recipient, and a disclosure record when it crosses regions.
 */
export interface PublishChecks {
  /** Decides the copy's recipient role, minimises and encodes the copy as every publisher does. */
  publisher: EventPublisher;
  /** Names the personal data a disclosure record lists. */
  minimiser: Minimiser;
  /** This service's `disclosures` chain, in its own database. */
  disclosures: AuditLog;
}

function sha256(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * What operators do with dead letters: look (masked, or in the clear with the permission and an
 * audit entry), replay the original bytes, replay a corrected copy, or discard with a reason. Every
 * change is written to the audit log in the same transaction as the state it changes.
 */
export class DeadLetterService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: DeadLetterRepository,
    private readonly codec: AvroCodec,
    private readonly validator: RecordValidator,
    private readonly producer: Pick<Producer, 'send'>,
    private readonly nodes: NodeClient,
    private readonly audit: AuditLog,
    private readonly logger: JsonLogger,
    private readonly checks: PublishChecks,
    private readonly onAction: (action: string) => void = () => undefined,
  ) {}

  list(filter: DeadLetterFilter, limit: number, cursor?: number): Promise<Page> {
    return this.repository.list(filter, limit, cursor);
  }

  counts(filter: DeadLetterFilter): Promise<DeadLetterCounts> {
    return this.repository.counts(filter, new Date());
  }

  /**
   * The counts of the letters naming one person (the list's filters besides), found by the keyed hash of the ID
   * number like `personLetters`, and audited the same way: it tells who had letters.
   */
  async personCounts(idNumber: string, filter: DeadLetterFilter, operator: Operator): Promise<DeadLetterCounts> {
    const counts = await this.repository.counts(this.ofPerson(idNumber, filter), new Date());
    await this.auditPersonLookup(idNumber, filter, operator, { found: counts.total, counts: true });
    return counts;
  }

  /**
   * The letters naming one person, found by the keyed hash of the ID number (which is neither stored nor
   * logged); the lookup itself is audited with the person, as the audit log records persons (hashed).
   */
  async personLetters(idNumber: string, filter: DeadLetterFilter, operator: Operator, limit: number, cursor?: number): Promise<Page> {
    const page = await this.repository.list(this.ofPerson(idNumber, filter), limit, cursor);
    await this.auditPersonLookup(idNumber, filter, operator, { found: page.total, page: cursor ?? null });
    return page;
  }

  private ofPerson(idNumber: string, filter: DeadLetterFilter): DeadLetterFilter {
    return { ...filter, personHash: this.audit.personRef(idNumber) };
  }

  private auditPersonLookup(idNumber: string, filter: DeadLetterFilter, operator: Operator, details: Record<string, unknown>): Promise<unknown> {
    return this.audit.record({
      actor: operator.name,
      action: 'dlq.search-person',
      subject: { messages: [], cases: [], persons: [idNumber], regions: filter.region ? [filter.region] : [] },
      details,
    });
  }

  /**
   * Discards several parked letters for one reason, each in its own transaction and audit entry as a single
   * discard: the answer says per letter whether it was discarded, not found, or not parked (409).
   */
  async discardMany(
    ids: number[],
    operator: Operator,
    reason: string,
  ): Promise<{ discarded: number; items: Array<{ id: number; status: number; state?: string; hold?: string; code?: string; detail?: string }> }> {
    const items: Array<{ id: number; status: number; state?: string; hold?: string; code?: string; detail?: string }> = [];
    for (const id of ids) {
      try {
        const r = await this.discard(id, operator, reason);
        items.push({ id, status: 200, state: r.state, hold: r.hold });
      } catch (e) {
        if (!(e instanceof TongbanError) || !['OPS.DEAD_LETTER_CONFLICT', 'OPS.DEAD_LETTER_NOT_FOUND'].includes(e.code)) throw e;
        items.push({ id, status: e.code === 'OPS.DEAD_LETTER_CONFLICT' ? 409 : 404, code: e.code, detail: e.message });
      }
    }
    return { discarded: items.filter((i) => i.status === 200).length, items };
  }

  async require(id: number, manager?: EntityManager, lock = false): Promise<DeadLetterRow> {
    const row = await this.repository.get(id, manager, lock);
    if (!row) throw new NotFoundError(`dead letter ${id} not found`, 'OPS.DEAD_LETTER_NOT_FOUND');
    return row;
  }

  /** One dead letter for an operator: payload masked by the schema, or in the clear (audited). */
  async show(id: number, operator: Operator, clear: boolean, reason?: string): Promise<Record<string, unknown>> {
    if (clear && !reason?.trim())
      throw new ValidationError([{ path: 'reason', problem: 'is required for the clear view: say why the personal data must be seen' }]);
    let row = await this.require(id);
    if (!row.decoded && row.rawValue) row = await this.retryDecode(row);
    const schema = row.eventType ? this.codec.catalogue.event(row.eventType)?.schema : undefined;
    const view = (value: Record<string, unknown> | null) => {
      if (!value) return null;
      if (clear) return value;
      // Without the event's schema nothing tells which fields are personal: show nothing rather than guess.
      return schema ? maskBySchema(schema, value) : null;
    };
    if (clear) {
      await this.audit.record({
        actor: operator.name,
        action: 'dlq.view-clear',
        subject: this.subject(row),
        details: {
          deadLetterId: row.id,
          fields: schema && row.decoded ? collectPii(schema, row.decoded).map((p) => p.path) : [],
          raw: row.rawValue ? 'shown' : 'none',
          reason: reason!.trim(),
        },
      });
      this.onAction('view-clear');
    }
    return {
      ...summary(row),
      failure: {
        errorClass: row.errorClass,
        errorCode: row.errorCode,
        errorMessage: row.errorMessage,
        attempts: row.attempts,
        consumerGroup: row.consumerGroup,
        firstFailureAt: row.firstFailureAt?.toISOString() ?? null,
        lastFailureAt: row.lastFailureAt?.toISOString() ?? null,
      },
      decodeError: row.decodeError,
      schemaId: row.schemaId,
      view: clear ? 'clear' : 'masked',
      payload: view(row.decoded),
      edited: view(row.editedDecoded),
      headers: Object.fromEntries(Object.entries(row.headers).filter(([k]) => !FAILURE_HEADER_NAMES.has(k))),
      replayOfHeader: row.replayOf,
      rawBytes: row.rawValue?.length ?? 0,
      rawBase64: clear && row.rawValue ? row.rawValue.toString('base64') : undefined,
      resolution: row.resolvedAt ? { at: row.resolvedAt.toISOString(), by: row.resolvedBy, note: row.resolutionNote } : null,
    };
  }

  /** Re-publishes the original bytes to the original topic. */
  async replay(id: number, operator: Operator, options: { note?: string; jobId?: string } = {}): Promise<ReplayResult> {
    return this.dataSource.transaction('READ COMMITTED', async (manager) => {
      const row = await this.require(id, manager, true);
      if (row.state === 'discarded') throw new ConflictError(`dead letter ${id} was discarded and cannot be replayed`);
      if (!row.rawValue) throw new ConflictError(`dead letter ${id} has no bytes to replay`);
      const alreadyApplied = await this.nodes.wasApplied(row.region, row);
      const replayedTo = await this.publish(row, row.rawValue, operator, row.messageKey);
      await this.repository.markReplayed(manager, id, operator.name);
      await this.audit.append(manager, {
        actor: operator.name,
        action: 'dlq.replay',
        subject: this.subject(row),
        details: { deadLetterId: id, alreadyApplied, replayedTo, jobId: options.jobId, note: options.note },
        before: { state: row.state },
        after: { state: 'replayed' },
      });
      this.onAction('replay');
      const hold = await this.nodes.releaseHold(row.region, row.messageKey, 'replayed', operator.name);
      this.logger.event('info', 'dead letter replayed', {
        deadLetterId: id,
        operator: operator.name,
        eventId: row.eventId,
        alreadyApplied,
        jobId: options.jobId,
      });
      return { id, state: 'replayed' as const, alreadyApplied, replayedTo, replayRef: replayRefOf(row), hold };
    });
  }

  /**
   * Checks a corrected event as the gateway checks a published one: the dead letter's own envelope and
   * event type (only payload fields may change), the schema with its formats, the authorisation rules.
   */
  validateEdit(
    row: DeadLetterRow,
    event: Record<string, unknown>,
    declaredType?: string,
  ): { eventType: string; record: Record<string, unknown>; problems: Array<{ path: string; problem: string }> } {
    if (!row.eventType || !row.decoded) {
      throw new ConflictError(
        `dead letter ${row.id} did not decode: without its envelope there is nothing a correction could keep, so it cannot be corrected (discard it)`,
      );
    }
    const eventType = row.eventType;
    const schema = this.codec.catalogue.event(eventType)?.schema;
    if (!schema) throw new ConflictError(`dead letter ${row.id} is a ${eventType}, which is not an event type of the contracts`);
    const problems = envelopeProblems(row.decoded, event, eventType, declaredType);
    const record = correctedRecord(row.decoded, event);
    problems.push(...this.validator.validate(schema, record, ''));
    for (const p of authorisationProblems(eventType, record, '')) {
      const at = problems.findIndex((q) => q.path === p.path);
      if (at >= 0) problems.splice(at, 1);
      problems.push(p);
    }
    return { eventType, record, problems };
  }

  /**
   * Replays a corrected copy of a parked dead letter, once: validated, minimised for the copy's
   * recipient, encoded with the codec; the disclosure it makes is recorded with the replay. The
   * original stays stored.
   */
  async editAndReplay(
    id: number,
    operator: Operator,
    input: { event: Record<string, unknown>; eventType?: string; note?: string; dryRun?: boolean },
  ): Promise<ReplayResult | { id: number; valid: true; withheld: string[]; changedFields: string[] }> {
    const current = await this.require(id);
    if (current.state !== 'parked') throw new ConflictError(`dead letter ${id} is ${current.state}; only a parked one can be corrected and replayed, once`);
    const { eventType, record, problems } = this.validateEdit(current, input.event, input.eventType);
    if (problems.length > 0) throw new ValidationError(problems, `${problems.length} problem(s) in the corrected event`);
    const schema = this.codec.catalogue.event(eventType)!.schema;
    const envelope = record.envelope as { eventId: string; caseId: string; sourceRegion: string; targetRegion: string };
    const node = regionOfTopic(current.originalTopic) ?? current.region;
    const role = this.checks.publisher.roleOf(envelope, node);
    const { value: minimised, withheld } = this.checks.publisher.minimise(eventType, role, record);
    // The paths the correction changes against the stored event (paths only: no value of either side).
    if (input.dryRun) return { id, valid: true, withheld, changedFields: changedPaths(current.decoded ?? {}, record) };
    let bytes: Buffer;
    try {
      bytes = await this.checks.publisher.encode(eventType, minimised);
    } catch (e) {
      throw new ValidationError([{ path: '', problem: `does not encode as ${eventType}: ${(e as Error).message}` }]);
    }
    // What is stored and shown is the event as a reader decodes it, so the copy round-trips exactly.
    const decoded = toJson((await this.codec.decode(bytes)).value);
    return this.dataSource.transaction('READ COMMITTED', async (manager) => {
      const row = await this.require(id, manager, true);
      if (row.state !== 'parked') throw new ConflictError(`dead letter ${id} is ${row.state}; only a parked one can be corrected and replayed, once`);
      const alreadyApplied = await this.nodes.wasApplied(row.region, {
        eventId: envelope.eventId,
        caseId: envelope.caseId,
        sourceRegion: envelope.sourceRegion,
        targetRegion: envelope.targetRegion,
      });
      await this.repository.markReplayed(manager, id, operator.name, { value: bytes, decoded });
      // Only the changed fields, masked, and hashes of the whole events: the log itself discloses nothing.
      // What the operator changed; fields the policy withheld from the recipient are listed apart.
      const paths = changedPaths(row.decoded ?? {}, decoded).filter((p) => !withheld.some((w) => p === w || p.startsWith(`${w}.`) || p.startsWith(`${w}[`)));
      await this.audit.append(manager, {
        actor: operator.name,
        action: 'dlq.edit-replay',
        subject: this.subject({ ...row, decoded }),
        details: { deadLetterId: id, eventType, changedFields: paths, withheld, alreadyApplied, note: input.note },
        before: { state: row.state, sha256: sha256(row.decoded), fields: pick(row.decoded ? maskBySchema(schema, row.decoded) : {}, paths) },
        after: { state: 'replayed', sha256: sha256(decoded), fields: pick(maskBySchema(schema, decoded), paths) },
      });
      if (role === 'addressee' && envelope.sourceRegion !== envelope.targetRegion) {
        await recordDisclosure(this.checks.disclosures, manager, {
          actor: `operator:${operator.name}`,
          actorKind: 'operator',
          eventType,
          eventId: envelope.eventId,
          caseId: envelope.caseId,
          fromRegion: envelope.sourceRegion,
          toRegion: envelope.targetRegion,
          channel: 'replay',
          toNode: node ?? undefined,
          recipientRole: role,
          withheld,
          persons: this.checks.minimiser.personalData(eventType, decoded),
        });
      }
      // Published last: a refusal above rolls everything back and nothing has left.
      const replayedTo = await this.publish(row, bytes, operator, envelope.caseId, true);
      this.onAction('edit-replay');
      const hold = await this.nodes.releaseHold(row.region, row.messageKey, 'replayed', operator.name);
      this.logger.event('info', 'dead letter corrected and replayed', { deadLetterId: id, operator: operator.name, changedFields: paths.length });
      return { id, state: 'replayed' as const, alreadyApplied, replayedTo, replayRef: replayRefOf(row), hold };
    });
  }

  async discard(id: number, operator: Operator, reason: string): Promise<{ id: number; state: 'discarded'; hold: string }> {
    if (!reason?.trim()) throw new ValidationError([{ path: 'reason', problem: 'is required: say why the message is dropped' }]);
    const result = await this.dataSource.transaction('READ COMMITTED', async (manager) => {
      const row = await this.require(id, manager, true);
      if (row.state !== 'parked') throw new ConflictError(`dead letter ${id} is ${row.state}; only a parked one can be discarded`);
      await this.repository.markDiscarded(manager, id, operator.name, reason.trim());
      await this.audit.append(manager, {
        actor: operator.name,
        action: 'dlq.discard',
        subject: this.subject(row),
        details: { deadLetterId: id, reason: reason.trim() },
        before: { state: row.state },
        after: { state: 'discarded' },
      });
      return row;
    });
    this.onAction('discard');
    const hold = await this.nodes.releaseHold(result.region, result.messageKey, 'discarded', operator.name);
    return { id, state: 'discarded', hold };
  }

  private async publish(row: DeadLetterRow, value: Buffer, operator: Operator, key: string | null, edited = false) {
    const headers: IHeaders = {};
    for (const [k, v] of Object.entries(row.headers)) if (!FAILURE_HEADER_NAMES.has(k)) headers[k] = v;
    headers[REPLAY_HEADERS.replayOf] = replayRefOf(row);
    headers[REPLAY_HEADERS.replayedBy] = operator.name;
    if (edited) headers[REPLAY_HEADERS.editedBy] = operator.name;
    const [meta] = await this.producer.send({ topic: row.originalTopic, acks: -1, messages: [{ key, value, headers }] });
    return { topic: row.originalTopic, partition: meta.partition, offset: String(meta.baseOffset ?? meta.offset ?? '') };
  }

  private async retryDecode(row: DeadLetterRow): Promise<DeadLetterRow> {
    try {
      const result = await this.codec.decode(row.rawValue);
      const decoded = toJson(result.value);
      await this.repository.saveDecoded(row.id, result.schemaId, decoded);
      return { ...row, decoded, schemaId: result.schemaId, decodeError: null };
    } catch {
      return row;
    }
  }

  private subject(row: Pick<DeadLetterRow, 'eventId' | 'caseId' | 'dlqTopic' | 'dlqPartition' | 'dlqOffset' | 'region' | 'eventType' | 'decoded'>) {
    const schema = row.eventType ? this.codec.catalogue.event(row.eventType)?.schema : undefined;
    const persons =
      schema && row.decoded
        ? collectPii(schema, row.decoded)
            .filter((p) => p.kind === 'id-number' && typeof p.value === 'string')
            .map((p) => p.value as string)
        : [];
    return {
      messages: [deadLetterRef(row.dlqTopic, row.dlqPartition, row.dlqOffset), ...(row.eventId ? [row.eventId] : [])],
      cases: row.caseId ? [row.caseId] : [],
      persons,
      regions: row.region ? [row.region] : [],
    };
  }
}

/** The fields of a list row: where it failed and what it was, nothing personal. */
export function summary(row: DeadLetterRow): Record<string, unknown> {
  return {
    id: row.id,
    state: row.state,
    region: row.region,
    dlq: { topic: row.dlqTopic, partition: row.dlqPartition, offset: row.dlqOffset },
    original: { topic: row.originalTopic, partition: row.originalPartition, offset: row.originalOffset, key: row.messageKey },
    eventId: row.eventId,
    eventType: row.eventType,
    workflow: row.workflow,
    caseId: row.caseId,
    correlationId: row.correlationId,
    sourceRegion: row.sourceRegion,
    targetRegion: row.targetRegion,
    errorClass: row.errorClass,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    attempts: row.attempts,
    parkedAt: row.parkedAt.toISOString(),
    storedAt: row.storedAt?.toISOString(),
    replayCount: row.replayCount,
    lastReplayedAt: row.lastReplayedAt?.toISOString() ?? null,
    lastReplayedBy: row.lastReplayedBy,
    resolvedBy: row.resolvedBy,
    replayOf: row.replayOf,
  };
}
