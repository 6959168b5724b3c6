import { join } from 'node:path';
import * as avro from 'avsc';
import { avroOptions } from '@tongban/avro';
import { contractsDir, repoRoot } from '@tongban/config';
import { CLOUDEVENTS_HEADERS, CONNECT_ERROR_HEADERS, DEFAULT_RETRY_POLICY, FAILURE_HEADERS, HEADERS, failureTopics } from '@tongban/kafka';
import { topics } from '@tongban/regions';
import { AVRO_SCHEMA_FORMAT, buildAsyncApiDocument, PROVINCE_CLUSTERS, refsIn } from './asyncapi';
import { readContractSources, type ContractSources } from './contract-sources';
import { headerProperties } from './kafka-headers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The value a local `$ref` points at, or undefined. */
function resolve(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) node = (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return node;
}

/** Every concrete topic a channel address stands for, its `{parameters}` taken from their enums. */
function expand(address: string, parameters: Json = {}): string[] {
  const m = /\{([a-z]+)\}/i.exec(address);
  if (!m) return [address];
  const values: string[] = parameters[m[1]]?.enum ?? [];
  return values.flatMap((v) => expand(address.replace(`{${m[1]}}`, v), parameters));
}

describe('the AsyncAPI document of the Kafka interface', () => {
  let sources: ContractSources;
  let doc: Json;
  let eventTypes: string[];

  beforeAll(() => {
    sources = readContractSources(contractsDir(), join(repoRoot(), 'package.json'));
    doc = buildAsyncApiDocument(sources);
    eventTypes = sources.catalogue.eventTypes();
  });

  it('is AsyncAPI 3.0 with a server per listener of each province', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect((doc.info as Json).version).toBe(sources.version);
    const servers = doc.servers as Json;
    for (const c of PROVINCE_CLUSTERS) {
      expect(servers[c.id]).toMatchObject({ host: c.local, protocol: 'kafka' });
      expect(servers[`${c.id}Link`]).toMatchObject({ host: c.link, protocol: 'kafka-secure' });
    }
    for (const s of Object.values(servers)) for (const sec of s.security) expect(resolve(doc, sec.$ref)).toMatchObject({ type: 'scramSha512' });
  });

  it('has every event type once as a message, with a failed twin for the retry and dead-letter topics', () => {
    const names = Object.keys(doc.components.messages).sort();
    expect(names).toEqual([...eventTypes, ...eventTypes.map((t) => `${t}Failed`)].sort());
    for (const t of eventTypes) {
      expect(doc.components.messages[t]).toMatchObject({ name: t, headers: { $ref: '#/components/schemas/EventHeaders' } });
      expect(doc.components.messages[`${t}Failed`]).toMatchObject({ headers: { $ref: '#/components/schemas/FailedEventHeaders' } });
    }
  });

  it('gives each message its self-contained Avro schema as payload, and the case id as key', () => {
    for (const t of eventTypes) {
      const message = doc.components.messages[t];
      const payload = resolve(doc, message.payload.$ref) as Json;
      expect(payload.schemaFormat).toBe(AVRO_SCHEMA_FORMAT);
      const type = avro.Type.forSchema(structuredClone(payload.schema), avroOptions()) as avro.types.RecordType;
      expect(type.name).toBe(sources.catalogue.event(t)!.fullName);
      expect(message.bindings.kafka).toMatchObject({ key: { $ref: '#/components/schemas/CaseId' }, schemaIdPayloadEncoding: 'confluent' });
    }
  });

  it('lists every event type in every channel, and every channel message resolves to a message of the document', () => {
    for (const [id, channel] of Object.entries(doc.channels as Json)) {
      expect(Object.keys(channel.messages as Json).sort()).toEqual(eventTypes);
      for (const [key, m] of Object.entries(channel.messages as Json)) {
        const target = resolve(doc, m.$ref) as Json | undefined;
        expect({ id, key, resolved: target?.name?.startsWith(key) }).toEqual({ id, key, resolved: true });
      }
    }
  });

  it('resolves every $ref in the document', () => {
    const broken = refsIn(doc).filter((r) => resolve(doc, r) === undefined);
    expect(broken).toEqual([]);
  });

  it('has operations that name messages of their own channel', () => {
    for (const [id, op] of Object.entries(doc.operations as Json)) {
      expect(['send', 'receive']).toContain(op.action);
      const channelRef = (op.channel as Json).$ref as string;
      expect(resolve(doc, channelRef)).toBeDefined();
      for (const m of op.messages as Json[]) expect({ id, ref: m.$ref.startsWith(`${channelRef}/messages/`) }).toEqual({ id, ref: true });
    }
    // Receiving from each inbox: the region node and the region's partners.
    for (const c of PROVINCE_CLUSTERS) {
      const receivers = Object.values(doc.operations as Json).filter(
        (op) => op.action === 'receive' && (op.channel as Json).$ref === `#/channels/inbox${c.node}`,
      );
      expect(receivers).toHaveLength(2);
      const groups = receivers.map((op) => op.bindings.kafka.groupId);
      expect(groups).toContainEqual({ type: 'string', const: `tongban.region-node.${c.node}` });
      const partner = groups.find((g) => g.pattern);
      expect(new RegExp(partner.pattern).test(`partner.${c.node}.case-system`)).toBe(true);
      expect(new RegExp(partner.pattern).test(`partner.${c.node === '510000' ? '500000' : '510000'}.case-system`)).toBe(false);
    }
  });

  it('covers every topic the nodes use, named as libs/regions names them', () => {
    const addresses = Object.values(doc.channels as Json).flatMap((ch) => expand(ch.address as string, ch.parameters as Json));
    for (const c of PROVINCE_CLUSTERS) {
      for (const main of [topics.inbox('tongban', c.node), topics.local('tongban', c.node)]) {
        for (const topic of [main, ...failureTopics(main, DEFAULT_RETRY_POLICY)]) expect(addresses.filter((a) => a === topic)).toEqual([topic]);
      }
    }
    expect(addresses).toHaveLength(PROVINCE_CLUSTERS.length * 2 * (2 + DEFAULT_RETRY_POLICY.delaysMs.length));
  });

  it('has a headers schema with every header constant of libs/kafka, the published ones required', () => {
    const headers = doc.components.schemas.EventHeaders as Json;
    const published = [...Object.values(HEADERS), ...Object.values(CLOUDEVENTS_HEADERS)];
    expect(Object.keys(headers.properties)).toEqual(expect.arrayContaining(published));
    expect([...headers.required].sort()).toEqual([...published].sort());
    const failed = doc.components.schemas.FailedEventHeaders as Json;
    expect(failed.allOf[0]).toEqual({ $ref: '#/components/schemas/EventHeaders' });
    expect(Object.keys(failed.allOf[1].properties).sort()).toEqual([...Object.values(FAILURE_HEADERS), ...Object.values(CONNECT_ERROR_HEADERS)].sort());
  });

  it('refuses a header it has no description for', () => {
    expect(() => headerProperties(['tongban-something-new'], {})).toThrow(/tongban-something-new has no description/);
  });

  it('gives examples whose headers are the ones the publishers build, and whose payload is minimised for the addressee', () => {
    const approved = doc.components.messages.SubsidyApproved.examples[0];
    expect(approved.headers).toMatchObject({ [HEADERS.eventType]: 'SubsidyApproved', [CLOUDEVENTS_HEADERS.type]: 'cn.tongban.subsidy.v1.SubsidyApproved' });
    expect(approved.payload.envelope.eventId).toBe(approved.headers[HEADERS.eventId]);
    // DeathRegistered's cause of death is not on the addressee's list: the inbox copy carries null.
    const death = doc.components.messages.DeathRegistered.examples[0];
    expect(sources.policy.events.DeathRegistered.addressee).not.toContain('causeOfDeath');
    expect(death.payload.causeOfDeath ?? null).toBeNull();
    expect(death.payload.deceased).toEqual((sources.examples.DeathRegistered.payload as Json).deceased);
  });

  it('is the same document on every run', () => {
    expect(JSON.stringify(buildAsyncApiDocument(sources))).toBe(JSON.stringify(doc));
  });

  it('names topics with the namespace it is given', () => {
    const other = buildAsyncApiDocument(sources, { namespace: 'demo-1', retryLevels: 1 });
    expect(other.channels.inbox500000.address).toBe('demo-1.500000.inbox');
    expect(other.channels.retry500000.parameters).toMatchObject({ level: { enum: ['1'] } });
  });
});
