import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuditLog, recordDisclosure } from '@tongban/audit';
import { AvroCodec, SchemaCatalogue } from '@tongban/avro';
import { enqueue, eventHeaders } from '@tongban/kafka';
import type { Minimiser } from '@tongban/masking';
import { RoutingTable, topics } from '@tongban/regions';
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
    private readonly codec: AvroCodec,
    private readonly catalogue: SchemaCatalogue,
    private readonly routing: RoutingTable,
    private readonly namespace: string,
    private readonly node: string,
    private readonly lanes: number,
    private readonly minimiser?: Minimiser,
    private readonly disclosures?: AuditLog,
  ) {}

  async publish(m: EntityManager, events: FollowUpEvent[], correlationId: string): Promise<string[]> {
    const ids: string[] = [];
    for (const e of events) {
      const eventId = eventIdFor(e.dedupeKey);
      const schema = this.catalogue.event(e.eventType);
      if (!schema) throw new Error(`the node decided to publish ${e.eventType}, which has no schema`);
      const envelope = {
        eventId,
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
      const targetNode = this.routing.nodeFor(e.targetRegion);
      const copies: Array<{ node: string; role: 'addressee' | 'origin' }> =
        targetNode === this.node ? [{ node: targetNode, role: 'addressee' }] : [{ node: targetNode, role: 'addressee' }, { node: this.node, role: 'origin' }];
      const messages = [];
      for (const { node, role } of copies) {
        const minimised = this.minimiser?.minimise(e.eventType, role, e.payload);
        const payload = minimised ? minimised.value : e.payload;
        if (role === 'addressee' && e.targetRegion !== e.sourceRegion && this.disclosures && this.minimiser) {
          await recordDisclosure(this.disclosures, m, {
            actor: `region-node:${this.node}`,
            eventType: e.eventType,
            eventId,
            caseId: e.caseId,
            fromRegion: e.sourceRegion,
            toRegion: e.targetRegion,
            channel: 'inbox',
            toNode: node,
            recipientRole: role,
            withheld: minimised?.withheld ?? [],
            persons: this.minimiser.personalData(e.eventType, payload),
          }, { atCommit: true });
        }
        const value = await this.codec.encode(e.eventType, { envelope, ...payload });
        messages.push({
          eventId,
          topic: role === 'origin' ? topics.local(this.namespace, node) : topics.inbox(this.namespace, node),
          key: e.caseId,
          value,
          headers: eventHeaders({
            eventId,
            eventType: e.eventType,
            schemaName: schema.fullName,
            caseId: e.caseId,
            correlationId,
            sourceRegion: e.sourceRegion,
            targetRegion: e.targetRegion,
            occurredAt: envelope.occurredAt,
          }),
        });
      }
      await enqueue(m, messages, this.lanes);
      ids.push(eventId);
    }
    return ids;
  }
}
