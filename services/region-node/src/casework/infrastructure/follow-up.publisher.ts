import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuditLog, recordDisclosure } from '@tongban/audit';
import type { Envelope, SchemaCatalogue } from '@tongban/avro';
import type { EventPublisher } from '@tongban/kafka';
import type { Minimiser } from '@tongban/masking';
import type { FollowUpEvent } from '../domain';

/** A stable event id for a follow-up: the same cause (dedupeKey) always gives the same id. */
export function eventIdFor(dedupeKey: string): string {
  const h = createHash('sha1').update(`tongban:${dedupeKey}`).digest('hex');
  // Shaped as a version-5 style UUID so the envelope's uuid type accepts it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Publishes what the node decided (answers, rejections, escalations, reactions) through its own outbox,
 * in the same transaction as the decision: one copy to the addressee's node, minimised by the policy for
 * an addressee, and one to this node (the origin) so that its copy of the case applies the event too.
 * What the addressee's copy discloses of a person to another region is recorded in the node's own
 * disclosures chain, in the same transaction.
 */
export class FollowUpPublisher {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly catalogue: SchemaCatalogue,
    private readonly node: string,
    private readonly minimiser: Minimiser,
    private readonly disclosures?: AuditLog,
  ) {}

  async publish(m: EntityManager, events: FollowUpEvent[], correlationId: string): Promise<string[]> {
    const ids: string[] = [];
    for (const e of events) {
      const envelope = this.envelopeOf(e, correlationId);
      const copies = await this.publisher.publish(m, { envelope, payload: e.payload }, this.node);
      const addressee = copies.find((c) => c.role === 'addressee');
      if (addressee && e.targetRegion !== e.sourceRegion && this.disclosures) {
        await recordDisclosure(
          this.disclosures,
          m,
          {
            actor: `region-node:${this.node}`,
            eventType: e.eventType,
            eventId: envelope.eventId,
            caseId: e.caseId,
            fromRegion: e.sourceRegion,
            toRegion: e.targetRegion,
            channel: 'inbox',
            toNode: addressee.node,
            recipientRole: addressee.role,
            withheld: addressee.withheld,
            persons: this.minimiser.personalData(e.eventType, addressee.payload),
          },
          { atCommit: true },
        );
      }
      ids.push(envelope.eventId);
    }
    return ids;
  }

  private envelopeOf(e: FollowUpEvent, correlationId: string): Envelope {
    const schema = this.catalogue.event(e.eventType);
    if (!schema) throw new Error(`the node decided to publish ${e.eventType}, which has no schema`);
    return {
      eventId: eventIdFor(e.dedupeKey),
      eventType: e.eventType,
      caseId: e.caseId,
      sourceRegion: e.sourceRegion,
      targetRegion: e.targetRegion,
      sourceOffice: e.sourceOffice ?? null,
      occurredAt: new Date(e.occurredAt).toISOString(),
      correlationId,
      causationId: e.causationId ?? null,
      producer: `region-node:${this.node}`,
      schemaVersion: schema.major,
      targetOffice: e.targetOffice ?? null,
    };
  }
}
