import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AvroCodec, Envelope, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { minimisationPolicyPath, Minimiser, readMinimisationPolicy } from '@tongban/masking';
import { RoutingTable } from '@tongban/regions';
import { eventHeaders } from '../headers/event-headers';
import type { OutboxMessage, OutboxWriter } from '../outbox/outbox';
import { EventPublisher } from './event-publisher';

const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
const minimiser = new Minimiser(catalogue, readMinimisationPolicy(minimisationPolicyPath(contractsDir())));
// A registry that knows one schema, DeathRegistered's, under id 42: encoding needs no network.
const registry = {
  lookup: async () => 42,
  schemaById: async () => JSON.stringify(catalogue.event('DeathRegistered')!.schema),
} as unknown as SchemaRegistryClient;
const codec = new AvroCodec(catalogue, registry, false);

/** contracts/examples/DeathRegistered.json: the addressee's copy withholds the cause of death and the informant's ID number. */
const example = JSON.parse(readFileSync(join(contractsDir(), 'examples', 'DeathRegistered.json'), 'utf8'));
const payload = { ...example.payload, causeOfDeath: 'pneumonia' };

function envelope(sourceRegion: string, targetRegion: string): Envelope {
  return {
    eventId: '9b2f7c1e-3a44-4d8e-b1a0-5c6d7e8f9a01',
    eventType: 'DeathRegistered',
    caseId: example.caseId,
    sourceRegion,
    targetRegion,
    sourceOffice: null,
    occurredAt: example.occurredAt,
    correlationId: 'corr-1',
    causationId: null,
    producer: 'municipal:510104:key-1',
    schemaVersion: 1,
    targetOffice: null,
  };
}

/** An outbox that keeps what was written, and in which transaction, instead of writing it. */
function recordingOutbox(): OutboxWriter<string> & { writes: Array<{ tx: string; messages: OutboxMessage[]; lanes: number }> } {
  const writes: Array<{ tx: string; messages: OutboxMessage[]; lanes: number }> = [];
  return { writes, enqueue: async (tx, messages, lanes) => void writes.push({ tx, messages, lanes }) };
}

describe('EventPublisher', () => {
  const outbox = recordingOutbox();
  const publisher = new EventPublisher({ codec, routing: new RoutingTable([['5101', '510100']]), minimiser, topicNamespace: 'tb', outboxLanes: 8, outbox });

  it.each([
    [
      'across provinces',
      '510104',
      '500111',
      [
        ['500000', 'addressee', 'tb.500000.inbox'],
        ['510100', 'origin', 'tb.510100.local'],
      ],
    ],
    [
      'between two nodes of one province',
      '510104',
      '510500',
      [
        ['510000', 'addressee', 'tb.510000.inbox'],
        ['510100', 'origin', 'tb.510100.local'],
      ],
    ],
    ['inside one node', '500111', '500112', [['500000', 'addressee', 'tb.500000.inbox']]],
  ])('sends a copy to the addressee’s inbox and one to the publisher’s local topic (%s)', async (_, source, target, expected) => {
    const copies = await publisher.prepare({ envelope: envelope(source, target), payload });
    expect(copies.map((c) => [c.node, c.role, c.topic])).toEqual(expected);
  });

  it('keeps the node given as origin, whatever the source region routes to', () => {
    expect(publisher.recipients(envelope('510104', '500111'), '510000').map((r) => r.topic)).toEqual(['tb.500000.inbox', 'tb.510000.local']);
  });

  it('minimises the addressee’s copy and leaves the origin’s whole', async () => {
    const [addressee, origin] = await publisher.prepare({ envelope: envelope('510104', '500111'), payload });
    expect(addressee.withheld).toEqual(['causeOfDeath', 'informant.idNumber']);
    expect((await codec.decode(addressee.message.value)).value).toMatchObject({
      causeOfDeath: null,
      informant: { idNumber: null, name: '孙伟' },
      envelope: envelope('510104', '500111'),
    });
    expect(origin.withheld).toEqual([]);
    expect((await codec.decode(origin.message.value)).value).toMatchObject({ causeOfDeath: 'pneumonia', informant: payload.informant });
  });

  it('gives every copy the standard headers and the case id as key', async () => {
    const e = envelope('510104', '500111');
    const copies = await publisher.prepare({ envelope: e, payload });
    const headers = eventHeaders({ ...e, schemaName: 'cn.tongban.funeral.v1.DeathRegistered' });
    for (const c of copies) expect(c.message).toMatchObject({ eventId: e.eventId, key: e.caseId, headers });
  });

  it('writes every copy to the outbox at once, in the caller’s transaction, with the configured lanes', async () => {
    outbox.writes.length = 0;
    const copies = await publisher.publish('tx-1', { envelope: envelope('510104', '500111'), payload });
    expect(outbox.writes).toEqual([{ tx: 'tx-1', messages: copies.map((c) => c.message), lanes: 8 }]);
    expect(copies.map((c) => c.message.key)).toEqual([example.caseId, example.caseId]);
  });

  it('refuses an event type the contracts do not have', async () => {
    await expect(publisher.prepare({ envelope: { ...envelope('510104', '500111'), eventType: 'NoSuchEvent' }, payload })).rejects.toThrow(/NoSuchEvent/);
  });

  it('names the role of the node reading a copy', () => {
    expect(publisher.roleOf(envelope('510104', '500111'), '500000')).toBe('addressee');
    expect(publisher.roleOf(envelope('510104', '500111'), '510100')).toBe('origin');
    expect(publisher.roleOf(envelope('510104', '500111'), null)).toBe('addressee');
  });
});
