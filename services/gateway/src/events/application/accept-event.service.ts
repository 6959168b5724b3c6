import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { Envelope, RecordValidator, SchemaCatalogue } from '@tongban/avro';
import { Caller, ForbiddenRegionError, mayPublishFor } from '@tongban/auth';
import { isDependencyFailure, TongbanError, ValidationError } from '@tongban/errors';
import { EventCopy, EventPublisher } from '@tongban/kafka';
import { CASE_OPENING_EVENTS, caseIdOpenerProblem, DivisionCatalogue } from '@tongban/regions';
import { EventRequest, newEventId, validateEventRequest } from '../domain/event-request';
import type { DisclosureRecorder } from './disclosure-recorder';
import { GroupCommitWriter, GroupFacts } from './group-commit-writer';

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

/** An idempotency record to write: the caller's key id, its Idempotency-Key, the request's hash and its event. */
export interface IdempotencyClaim {
  keyId: string;
  idempotencyKey: string;
  requestHash: string;
  eventId: string;
}

/** The holder of an idempotency key as stored; `correlationId` is null once its accepted event is gone. */
export interface IdempotencyOwner extends IdempotencyClaim {
  correlationId: string | null;
}

/** An accepted_events row. */
export interface AcceptedEventRow {
  eventId: string;
  eventType: string;
  caseId: string;
  sourceRegion: string;
  targetRegion: string;
  sourceOffice: string | null;
  keyId: string;
  correlationId: string;
}

/** Where accepted events and their idempotency records are written, inside the caller's transaction. */
export interface AcceptStore {
  /** Writes the records not there yet (waiting for a concurrent transaction with the same key); answers how many were new. */
  claimKeys(tx: EntityManager, claims: IdempotencyClaim[]): Promise<number>;
  keyOwners(tx: EntityManager, keys: Array<{ keyId: string; idempotencyKey: string }>): Promise<IdempotencyOwner[]>;
  insertAccepted(tx: EntityManager, events: AcceptedEventRow[]): Promise<void>;
}

export interface AcceptEventDeps {
  dataSource: DataSource;
  /** The SQL of accepted events and idempotency records (AcceptedEventsRepository). */
  store: AcceptStore;
  catalogue: SchemaCatalogue;
  divisions: DivisionCatalogue;
  validator: RecordValidator;
  /** Makes the copies (minimised by contracts/policy/minimisation.json) and writes them to the outbox. */
  publisher: EventPublisher;
  /** Records cross-region disclosures of personal data in the audit log, inside the accept transaction. */
  disclosures?: DisclosureRecorder;
  onAccepted?: (eventType: string) => void;
  groupCommit?: GroupCommitSettings;
  /** Told of each group of single requests once it is written (the gateway's group metrics). */
  onGroup?: (facts: GroupFacts) => void;
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
        onGroup: deps.onGroup,
      },
    );
  }

  async accept(caller: Caller, body: unknown, idempotencyKey?: string, correlationHeader?: string): Promise<Accepted> {
    return this.writer.submit(await this.prepare(caller, body, idempotencyKey, correlationHeader, 'Idempotency-Key'));
  }

  /**
   * A batch upload: every item is prepared exactly as `accept` prepares one request (validation, the key's
   * region and office, the case-id rule, minimisation and encoding), and the valid ones are written together
   * in ONE transaction, with the group writer's handling of idempotency keys (a key repeated within the batch
   * is written once and the repeat answered as a replay, or a conflict). Answers one outcome per item, in the
   * items' order: the accepted event or the refusal `POST /v1/events` would have answered. Throws, having
   * written nothing, when a dependency fails (or on an error no single request would be refused with alone).
   */
  async acceptBatch(caller: Caller, items: BatchItem[]): Promise<Array<PromiseSettledResult<Accepted>>> {
    const outcomes: Array<PromiseSettledResult<Accepted>> = new Array(items.length);
    const prepared: PreparedEvent[] = [];
    const positions: number[] = [];
    for (let i = 0; i < items.length; i++) {
      try {
        prepared.push(await this.prepare(caller, items[i].body, items[i].idempotencyKey, undefined, 'idempotencyKey'));
        positions.push(i);
      } catch (error) {
        if (!isRefusalOfItem(error)) throw error;
        outcomes[i] = { status: 'rejected', reason: error };
      }
    }
    const written = await this.writer.writeTogether(prepared);
    const failed = written.find((o): o is PromiseRejectedResult => o.status === 'rejected' && !isRefusalOfItem(o.reason));
    if (failed) throw failed.reason;
    written.forEach((o, n) => (outcomes[positions[n]] = o));
    return outcomes;
  }

  /** Validates, authorises, minimises and encodes one request: what its transaction will write. */
  private async prepare(
    caller: Caller,
    body: unknown,
    idempotencyKey: unknown,
    correlationHeader: string | undefined,
    keyPath: string,
  ): Promise<PreparedEvent> {
    const validated = validateEventRequest(body, this.deps);
    if (!validated.ok) throw new ValidationError(validated.problems);
    const { request, schema } = validated;
    // A key bound to a service office always publishes as that office: an event without sourceOffice is
    // stamped with it (another office, or a district outside the office, is refused below).
    if (caller.office && request.sourceOffice === null) request.sourceOffice = caller.office.id;
    const refusal = mayPublishFor(caller, request.sourceRegion, request.sourceOffice);
    if (refusal) throw new ForbiddenRegionError(refusal);
    // The node refuses it too; saying so here spares the sender a silent asynchronous refusal.
    const notOwned = CASE_OPENING_EVENTS.includes(request.eventType)
      ? caseIdOpenerProblem(request.caseId, request.sourceRegion, request.sourceOffice)
      : undefined;
    if (notOwned) throw new ValidationError([{ path: 'caseId', problem: notOwned }]);
    if (idempotencyKey !== undefined && !(typeof idempotencyKey === 'string' && /^[\x21-\x7e]{1,200}$/.test(idempotencyKey))) {
      throw new ValidationError([{ path: keyPath, problem: 'must be 1–200 visible ASCII characters' }]);
    }
    const key = idempotencyKey as string | undefined;

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
    const requestHash = key ? hashRequest(request) : '';
    return { caller, request, idempotencyKey: key, requestHash, eventId, correlationId, copies };
  }

  /**
   * Writes a group of prepared requests in ONE transaction: multi-row inserts of their idempotency records,
   * accepted events and outbox rows, and their disclosure records as one group under one chain entry, appended
   * at the commit. A request whose Idempotency-Key an earlier one already used writes nothing and is answered
   * as a replay (or a conflict) from what the transaction read of the key's holder: after the commit nothing
   * is read, so a committed group is always answered.
   */
  async commitGroup(items: PreparedEvent[]): Promise<Array<PromiseSettledResult<Accepted>>> {
    const { store } = this.deps;
    /** Items whose key an earlier request holds, with that holder (undefined when the record is gone). */
    const held = new Map<PreparedEvent, IdempotencyOwner | undefined>();
    await this.deps.dataSource.transaction(async (manager) => {
      const claims = items
        .filter((it) => it.idempotencyKey)
        .map((it) => ({
          item: it,
          claim: { keyId: it.caller.keyId, idempotencyKey: it.idempotencyKey as string, requestHash: it.requestHash, eventId: it.eventId },
        }));
      // A concurrent request with the same key (another gateway) waits here for the first to commit, then finds its row.
      if (
        claims.length > 0 &&
        (await store.claimKeys(
          manager,
          claims.map((c) => c.claim),
        )) < claims.length
      ) {
        const owners = new Map(
          (
            await store.keyOwners(
              manager,
              claims.map((c) => c.claim),
            )
          ).map((o) => [ownerKey(o), o]),
        );
        for (const { item, claim } of claims) {
          const owner = owners.get(ownerKey(claim));
          if (owner?.eventId !== item.eventId) held.set(item, owner);
        }
      }
      const fresh = items.filter((it) => !held.has(it));
      if (fresh.length === 0) return;
      await store.insertAccepted(
        manager,
        fresh.map(({ eventId, request, caller, correlationId }) => ({
          eventId,
          eventType: request.eventType,
          caseId: request.caseId,
          sourceRegion: request.sourceRegion,
          targetRegion: request.targetRegion,
          sourceOffice: request.sourceOffice,
          keyId: caller.keyId,
          correlationId,
        })),
      );
      await this.deps.publisher.enqueue(
        manager,
        fresh.flatMap((it) => it.copies),
      );
      // One group of disclosure records under ONE chain entry (its Merkle root), appended at the commit: the
      // chain's head is locked once per group and only for the commit.
      await this.deps.disclosures?.recordGroup(manager, fresh);
    });
    return items.map((it): PromiseSettledResult<Accepted> => {
      if (held.has(it)) {
        const owner = held.get(it);
        if (!owner || owner.requestHash !== it.requestHash) return { status: 'rejected', reason: new IdempotencyConflictError(it.idempotencyKey as string) };
        return {
          status: 'fulfilled',
          value: { eventId: owner.eventId, caseId: it.request.caseId, correlationId: owner.correlationId ?? owner.eventId, replayed: true },
        };
      }
      this.deps.onAccepted?.(it.request.eventType);
      return { status: 'fulfilled', value: { eventId: it.eventId, caseId: it.request.caseId, correlationId: it.correlationId, replayed: false } };
    });
  }
}

/** One item of a batch: an event request, and the Idempotency-Key it carries in its `idempotencyKey` member. */
export interface BatchItem {
  body: unknown;
  idempotencyKey?: unknown;
}

/**
 * Whether an error refuses one item only (bad input, a region or office the key may not speak for, a
 * reused key): a failing dependency, or an error no request is answered with, fails the whole batch.
 */
export function isRefusalOfItem(error: unknown): boolean {
  return error instanceof TongbanError && !error.retriable && !isDependencyFailure(error);
}

function ownerKey(k: { keyId: string; idempotencyKey: string }): string {
  return `${k.keyId}\n${k.idempotencyKey}`;
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
