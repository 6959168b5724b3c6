import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Envelope, RecordValidator, SchemaCatalogue } from '@tongban/avro';
import { Caller, ForbiddenRegionError, mayPublishFor } from '@tongban/auth';
import { isDependencyFailure, TongbanError, ValidationError } from '@tongban/errors';
import { EventCopy, EventPublisher } from '@tongban/kafka';
import { CASE_OPENING_EVENTS, caseIdOpenerProblem, DivisionCatalogue } from '@tongban/regions';
import { EventRequest, newEventId, validateEventRequest } from '../domain/event-request';
import type { DisclosureRecorder } from './disclosure-recorder';
import { GroupCommitWriter } from './group-commit-writer';

export class IdempotencyConflictError extends TongbanError {
  constructor(key: string) {
    super('GATEWAY.IDEMPOTENCY_CONFLICT', `Idempotency-Key "${key}" was already used with a different body`);
  }
}

export interface Accepted {
  eventId: string;
  caseId: string;
  correlationId: string;
  /** True when an earlier request with the same Idempotency-Key already created the event. */
  replayed: boolean;
}

export interface AcceptEventDeps {
  dataSource: DataSource;
  catalogue: SchemaCatalogue;
  divisions: DivisionCatalogue;
  validator: RecordValidator;
  /** Makes the copies (minimised by contracts/policy/minimisation.json) and writes them to the outbox. */
  publisher: EventPublisher;
  /** Records cross-region disclosures of personal data in the audit log, inside the accept transaction. */
  disclosures?: DisclosureRecorder;
  onAccepted?: (eventType: string) => void;
  groupCommit?: GroupCommitSettings;
}

/** A validated, encoded request waiting for its group's transaction. */
export interface PreparedEvent {
  caller: Caller;
  request: EventRequest;
  idempotencyKey?: string;
  /** Of the request when it has an Idempotency-Key, else empty. */
  requestHash: string;
  eventId: string;
  correlationId: string;
  copies: EventCopy[];
}

/** How requests are grouped into transactions (TONGBAN_GATEWAY_GROUP_MAX, TONGBAN_GATEWAY_QUEUE_MAX). */
export interface GroupCommitSettings {
  maxGroup: number;
  maxQueue: number;
  /** Longest a request waits for a transaction to take it (the MySQL pool's acquire bound). */
  maxWaitMs?: number;
}

export const DEFAULT_GROUP_COMMIT: GroupCommitSettings = { maxGroup: 64, maxQueue: 2000 };

/**
 * Accepts an event from a municipal system: validates it, checks the caller may speak for its source
 * region, encodes it as Avro and stores it in the outbox in the same transaction as its idempotency
 * record. From then on the event is never lost: the relay publishes it.
 */
export class AcceptEventService {
  private readonly writer: GroupCommitWriter<PreparedEvent, Accepted>;

  constructor(private readonly deps: AcceptEventDeps) {
    const settings = deps.groupCommit ?? DEFAULT_GROUP_COMMIT;
    this.writer = new GroupCommitWriter<PreparedEvent, Accepted>(
      { commit: (items) => this.commitGroup(items) },
      {
        maxGroup: settings.maxGroup,
        maxQueue: settings.maxQueue,
        maxWaitMs: settings.maxWaitMs,
        idempotency: (it) => (it.idempotencyKey ? { key: `${it.caller.keyId}\n${it.idempotencyKey}`, hash: it.requestHash } : undefined),
        replayOf: (it, first) => ({ eventId: first.eventId, caseId: it.request.caseId, correlationId: first.correlationId, replayed: true }),
        conflictOf: (it) => new IdempotencyConflictError(it.idempotencyKey as string),
        failsEveryone: isDependencyFailure,
      },
    );
  }

  async accept(caller: Caller, body: unknown, idempotencyKey?: string, correlationHeader?: string): Promise<Accepted> {
    const validated = validateEventRequest(body, this.deps);
    if (!validated.ok) throw new ValidationError(validated.problems);
    const { request, schema } = validated;
    // A key bound to a service office always publishes as that office: an event without sourceOffice is
    // stamped with it (another office, or a district outside the office, is refused below).
    if (caller.office && request.sourceOffice === null) request.sourceOffice = caller.office.id;
    const refusal = mayPublishFor(caller, request.sourceRegion, request.sourceOffice);
    if (refusal) throw new ForbiddenRegionError(refusal);
    // The node refuses it too; saying so here spares the sender a silent asynchronous refusal.
    const notOwned = CASE_OPENING_EVENTS.includes(request.eventType) ? caseIdOpenerProblem(request.caseId, request.sourceRegion, request.sourceOffice) : undefined;
    if (notOwned) throw new ValidationError([{ path: 'caseId', problem: notOwned }]);
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
      throw new ValidationError([{ path: 'Idempotency-Key', problem: 'must be 1–200 visible ASCII characters' }]);
    }

    const eventId = newEventId();
    const correlationId = request.correlationId ?? correlationHeader ?? eventId;
    const envelope: Envelope = {
      eventId,
      eventType: request.eventType,
      caseId: request.caseId,
      sourceRegion: request.sourceRegion,
      targetRegion: request.targetRegion,
      sourceOffice: request.sourceOffice,
      occurredAt: request.occurredAt,
      correlationId,
      causationId: request.causationId,
      producer: `municipal:${caller.office?.id ?? caller.division}:${caller.keyId}`,
      schemaVersion: schema.major,
      targetOffice: request.targetOffice,
    };
    // Minimised and encoded before the transaction: it holds its locks only while it writes.
    const copies = await this.deps.publisher.prepare({ envelope, payload: request.payload });
    const requestHash = idempotencyKey ? hashRequest(request) : '';
    return this.writer.submit({ caller, request, idempotencyKey, requestHash, eventId, correlationId, copies });
  }

  /**
   * Writes a group of prepared requests in ONE transaction: multi-row inserts of their idempotency records,
   * accepted events and outbox rows, and their disclosure records appended under one lock of the chain's head
   * at the commit. A request whose Idempotency-Key an earlier one already used writes nothing and is answered
   * as a replay (or a conflict) after the commit.
   */
  async commitGroup(items: PreparedEvent[]): Promise<Array<PromiseSettledResult<Accepted>>> {
    const used = new Set<PreparedEvent>();
    await this.deps.dataSource.transaction(async (manager) => {
      const keyed = items.filter((it) => it.idempotencyKey);
      if (keyed.length > 0) {
        // A concurrent request with the same key (another gateway) waits here for the first to commit, then finds its row.
        const claimed = await manager.query(
          `INSERT IGNORE INTO idempotency_keys (key_id, idempotency_key, request_hash, event_id, created_at)
           VALUES ${keyed.map(() => '(?, ?, ?, ?, UTC_TIMESTAMP(3))').join(', ')}`,
          keyed.flatMap((it) => [it.caller.keyId, it.idempotencyKey, it.requestHash, it.eventId]),
        );
        if ((claimed as { affectedRows: number }).affectedRows < keyed.length) {
          const rows: Array<{ key_id: string; idempotency_key: string; event_id: string }> = await manager.query(
            `SELECT key_id, idempotency_key, event_id FROM idempotency_keys WHERE ${keyed.map(() => '(key_id = ? AND idempotency_key = ?)').join(' OR ')}`,
            keyed.flatMap((it) => [it.caller.keyId, it.idempotencyKey]),
          );
          const owner = new Map(rows.map((r) => [`${r.key_id}\n${r.idempotency_key}`, r.event_id]));
          for (const it of keyed) if (owner.get(`${it.caller.keyId}\n${it.idempotencyKey}`) !== it.eventId) used.add(it);
        }
      }
      const fresh = items.filter((it) => !used.has(it));
      if (fresh.length === 0) return;
      await manager.query(
        `INSERT INTO accepted_events (event_id, event_type, case_id, source_region, target_region, source_office, key_id, correlation_id, accepted_at)
         VALUES ${fresh.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))').join(', ')}`,
        fresh.flatMap(({ eventId, request, caller, correlationId }) => [
          eventId, request.eventType, request.caseId, request.sourceRegion, request.targetRegion, request.sourceOffice, caller.keyId, correlationId,
        ]),
      );
      await this.deps.publisher.enqueue(manager, fresh.flatMap((it) => it.copies));
      // Appended at the commit, all of the group's under one lock: the chain's head stays locked only for the commit.
      for (const it of fresh) await this.deps.disclosures?.record(manager, it.caller, it.request, it.eventId, it.copies, { atCommit: true });
    });
    return Promise.allSettled(
      items.map(async (it): Promise<Accepted> => {
        if (used.has(it)) return this.replay(it.caller, it.idempotencyKey as string, it.requestHash, it.request);
        this.deps.onAccepted?.(it.request.eventType);
        return { eventId: it.eventId, caseId: it.request.caseId, correlationId: it.correlationId, replayed: false };
      }),
    );
  }

  private async replay(caller: Caller, key: string, requestHash: string, request: EventRequest): Promise<Accepted> {
    const rows: Array<{ request_hash: string; event_id: string }> = await this.deps.dataSource.query(
      'SELECT request_hash, event_id FROM idempotency_keys WHERE key_id = ? AND idempotency_key = ?',
      [caller.keyId, key],
    );
    if (rows.length === 0 || rows[0].request_hash !== requestHash) throw new IdempotencyConflictError(key);
    const [accepted]: Array<{ correlation_id: string }> = await this.deps.dataSource.query(
      'SELECT correlation_id FROM accepted_events WHERE event_id = ?',
      [rows[0].event_id],
    );
    return { eventId: rows[0].event_id, caseId: request.caseId, correlationId: accepted?.correlation_id ?? rows[0].event_id, replayed: true };
  }
}

/** A stable digest of what the request asks for (key order does not matter). */
export function hashRequest(request: EventRequest): string {
  return createHash('sha256').update(stableStringify(request)).digest('hex');
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
