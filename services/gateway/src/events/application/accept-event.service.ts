import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Envelope, RecordValidator, SchemaCatalogue } from '@tongban/avro';
import { Caller, ForbiddenRegionError, mayPublishFor } from '@tongban/auth';
import { TongbanError, ValidationError } from '@tongban/errors';
import { EventPublisher } from '@tongban/kafka';
import { CASE_OPENING_EVENTS, caseIdOpenerProblem, DivisionCatalogue } from '@tongban/regions';
import { EventRequest, newEventId, validateEventRequest } from '../domain/event-request';
import type { DisclosureRecorder } from './disclosure-recorder';

export class IdempotencyConflictError extends TongbanError {
  constructor(key: string) {
    super('IDEMPOTENCY_CONFLICT', `Idempotency-Key "${key}" was already used with a different body`);
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
}

/** Rolls the transaction back when the Idempotency-Key was used before. */
class KeyAlreadyUsed extends Error {}

/**
 * Accepts an event from a municipal system: validates it, checks the caller may speak for its source
 * region, encodes it as Avro and stores it in the outbox in the same transaction as its idempotency
 * record. From then on the event is never lost: the relay publishes it.
 */
export class AcceptEventService {
  constructor(private readonly deps: AcceptEventDeps) {}

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

    try {
      await this.deps.dataSource.transaction(async (manager) => {
        if (idempotencyKey) {
          // A concurrent request with the same key waits here for the first to commit, then finds its row.
          const claimed = await manager.query(
            'INSERT IGNORE INTO idempotency_keys (key_id, idempotency_key, request_hash, event_id, created_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3))',
            [caller.keyId, idempotencyKey, requestHash, eventId],
          );
          if ((claimed as { affectedRows: number }).affectedRows === 0) throw new KeyAlreadyUsed();
        }
        await manager.query(
          `INSERT INTO accepted_events (event_id, event_type, case_id, source_region, target_region, source_office, key_id, correlation_id, accepted_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))`,
          [eventId, request.eventType, request.caseId, request.sourceRegion, request.targetRegion, request.sourceOffice, caller.keyId, correlationId],
        );
        await this.deps.publisher.enqueue(manager, copies);
        // Last in the transaction: the audit chain's head stays locked only until the commit.
        await this.deps.disclosures?.record(manager, caller, request, eventId, copies);
      });
    } catch (e) {
      if (idempotencyKey && e instanceof KeyAlreadyUsed) {
        return this.replay(caller, idempotencyKey, requestHash, request);
      }
      throw e;
    }
    this.deps.onAccepted?.(request.eventType);
    return { eventId, caseId: request.caseId, correlationId, replayed: false };
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
