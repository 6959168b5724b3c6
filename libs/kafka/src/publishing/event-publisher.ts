import type { AvroCodec, Envelope } from '@tongban/avro';
import type { Minimiser, RecipientRole } from '@tongban/masking';
import { injectTraceContext } from '@tongban/observability';
import { RoutingTable, topics } from '@tongban/regions';
import { eventHeaders } from '../headers/event-headers';
import { DEFAULT_LANES, OutboxMessage, OutboxWriter } from '../outbox/outbox';

type Json = Record<string, unknown>;

/** An event as its publisher states it: the typed envelope and the payload (all fields, before minimisation). */
export interface EventToPublish {
  envelope: Envelope;
  payload: Json;
}

/** A node that receives a copy of an event, and in which role. */
export interface Recipient {
  node: string;
  role: Extract<RecipientRole, 'addressee' | 'origin'>;
  topic: string;
}

/** One copy of an event, minimised for its recipient and encoded, ready for the outbox. */
export interface EventCopy extends Recipient {
  /** The payload as the recipient gets it. */
  payload: Json;
  /** Fields the minimisation policy kept from the recipient. */
  withheld: string[];
  message: OutboxMessage;
}

export interface EventPublisherOptions<Tx = unknown> {
  codec: AvroCodec;
  routing: RoutingTable;
  /** Applies contracts/policy/minimisation.json to each copy for its recipient. */
  minimiser: Minimiser;
  topicNamespace: string;
  /** Outbox lanes the relay reads in parallel; copies of one case share a lane. */
  outboxLanes?: number;
  /** Where copies are written, in the caller's transaction (the MySQL outbox: `mysqlOutbox` of `@tongban/persistence`). */
  outbox: OutboxWriter<Tx>;
}

/**
 * The one way an event is published: a copy to the addressee's node inbox and one to the publishing
 * node's own `.local` topic (one copy when both are one node), each minimised for its recipient,
 * Avro-encoded, with the standard headers, written to the outbox in the caller's transaction.
 */
export class EventPublisher<Tx = unknown> {
  constructor(private readonly o: EventPublisherOptions<Tx>) {}

  /**
   * Who gets a copy. The publisher's own copy goes to its node's local topic, which no partner
   * principal may read; when it is the addressee's node too, that node gets the addressee's copy.
   */
  recipients(envelope: Envelope, originNode = this.o.routing.nodeFor(envelope.sourceRegion)): Recipient[] {
    const target = this.o.routing.nodeFor(envelope.targetRegion);
    const addressee: Recipient = { node: target, role: 'addressee', topic: topics.inbox(this.o.topicNamespace, target) };
    if (target === originNode) return [addressee];
    return [addressee, { node: originNode, role: 'origin', topic: topics.local(this.o.topicNamespace, originNode) }];
  }

  /** The role of `node` for an event: the addressee's node, or else the origin (no node known: the addressee). */
  roleOf(envelope: Pick<Envelope, 'targetRegion'>, node: string | null | undefined): Recipient['role'] {
    return node && this.o.routing.nodeFor(envelope.targetRegion) !== node ? 'origin' : 'addressee';
  }

  /** A payload or a whole record as a recipient in `role` may see it. */
  minimise(eventType: string, role: RecipientRole, record: Json): { value: Json; withheld: string[] } {
    return this.o.minimiser.minimise(eventType, role, record);
  }

  /** The Avro bytes of a record (`envelope` plus payload), in the wire format. */
  encode(eventType: string, record: Json): Promise<Buffer> {
    return this.o.codec.encode(eventType, record);
  }

  /**
   * Minimises and encodes every copy of an event; nothing is written yet. The headers carry the W3C trace context
   * active now (the request that accepted the event, the apply that decided a follow-up), stored with the outbox
   * row so that the relay's send continues that trace; with tracing off there is none.
   */
  async prepare(event: EventToPublish, originNode?: string): Promise<EventCopy[]> {
    const { envelope } = event;
    const schema = this.o.codec.catalogue.event(envelope.eventType);
    if (!schema) throw new Error(`cannot publish ${envelope.eventType}: it has no schema in the contracts`);
    const headers = injectTraceContext(
      eventHeaders({
        eventId: envelope.eventId,
        eventType: envelope.eventType,
        schemaName: schema.fullName,
        caseId: envelope.caseId,
        correlationId: envelope.correlationId,
        sourceRegion: envelope.sourceRegion,
        targetRegion: envelope.targetRegion,
        occurredAt: envelope.occurredAt,
      }),
    );
    const copies: EventCopy[] = [];
    for (const recipient of this.recipients(envelope, originNode)) {
      const { value: payload, withheld } = this.minimise(envelope.eventType, recipient.role, event.payload);
      const value = await this.encode(envelope.eventType, { envelope, ...payload });
      copies.push({ ...recipient, payload, withheld, message: { eventId: envelope.eventId, topic: recipient.topic, key: envelope.caseId, value, headers } });
    }
    return copies;
  }

  /** Writes prepared copies to the outbox, in the transaction of `manager`: one row per copy. */
  enqueue(manager: Tx, copies: EventCopy[]): Promise<void> {
    return this.o.outbox.enqueue(
      manager,
      copies.map((c) => c.message),
      this.o.outboxLanes ?? DEFAULT_LANES,
    );
  }

  /** Prepares and enqueues every copy of an event in the caller's transaction; answers the copies. */
  async publish(manager: Tx, event: EventToPublish, originNode?: string): Promise<EventCopy[]> {
    const copies = await this.prepare(event, originNode);
    await this.enqueue(manager, copies);
    return copies;
  }
}
