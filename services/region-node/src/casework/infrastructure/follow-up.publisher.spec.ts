import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EntityManager } from 'typeorm';
import type { AuditInput, AuditLog } from '@tongban/audit';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { EventPublisher } from '@tongban/kafka';
import { Minimiser, minimisationPolicyPath, readMinimisationPolicy } from '@tongban/masking';
import { mysqlOutbox } from '@tongban/persistence';
import { RoutingTable } from '@tongban/regions';
import type { FollowUpEvent } from '../domain';
import { eventIdFor, FollowUpPublisher } from './follow-up.publisher';

const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
const minimiser = new Minimiser(catalogue, readMinimisationPolicy(minimisationPolicyPath(contractsDir())));
const codec = new AvroCodec(catalogue, { lookup: async () => 7 } as unknown as SchemaRegistryClient, false);
const example = JSON.parse(readFileSync(join(contractsDir(), 'examples', 'DeathRegistered.json'), 'utf8'));

function followUp(sourceRegion: string, targetRegion: string): FollowUpEvent {
  return {
    eventType: 'DeathRegistered',
    caseId: example.caseId,
    sourceRegion,
    targetRegion,
    occurredAt: new Date(example.occurredAt),
    dedupeKey: `death:${example.caseId}`,
    payload: example.payload,
  };
}

function harness() {
  const rows: unknown[][] = [];
  const disclosed: AuditInput[] = [];
  const manager = { query: async (_sql: string, params: unknown[]) => void rows.push(params) } as unknown as EntityManager;
  const audit = { appendAtCommit: async (_m: unknown, e: AuditInput) => void disclosed.push(e), personRef: (id: string) => `ref:${id}` } as unknown as AuditLog;
  const publisher = new FollowUpPublisher(
    new EventPublisher({ codec, routing: new RoutingTable(), minimiser, topicNamespace: 'tb', outboxLanes: 4, outbox: mysqlOutbox }),
    catalogue,
    '510000',
    minimiser,
    audit,
  );
  return { manager, rows, disclosed, publisher };
}

describe('FollowUpPublisher', () => {
  it('publishes both copies under an id stable for the cause, and records what the other region is shown', async () => {
    const h = harness();
    const ids = await h.publisher.publish(h.manager, [followUp('510104', '500111')], 'corr-1');
    expect(ids).toEqual([eventIdFor(`death:${example.caseId}`)]);
    expect(h.rows).toHaveLength(1);
    expect(h.rows[0].filter((p) => typeof p === 'string' && p.startsWith('tb.'))).toEqual(['tb.500000.inbox', 'tb.510000.local']);
    expect(h.disclosed).toHaveLength(1);
    expect(h.disclosed[0]).toMatchObject({
      actor: 'region-node:510000',
      details: expect.objectContaining({ toNode: '500000', withheld: ['informant.idNumber'] }),
    });
  });

  it('records no disclosure when the event is addressed to its own region', async () => {
    const h = harness();
    await h.publisher.publish(h.manager, [followUp('510104', '510104')], 'corr-1');
    expect(h.rows[0].filter((p) => typeof p === 'string' && p.startsWith('tb.'))).toEqual(['tb.510000.inbox']);
    expect(h.disclosed).toEqual([]);
  });
});
