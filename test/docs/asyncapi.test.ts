import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as avro from 'avsc';
import { JsonSchemaChecker } from '../support/json-schema';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const AVRO = 'application/vnd.apache.avro+json;version=1.9.0';
const KEY = /^[A-Za-z0-9.\-_]+$/;
const PROTOCOLS = ['kafka', 'kafka-secure'];
const SECURITY_TYPES = [
  'userPassword',
  'apiKey',
  'X509',
  'symmetricEncryption',
  'asymmetricEncryption',
  'httpApiKey',
  'http',
  'oauth2',
  'openIdConnect',
  'plain',
  'scramSha256',
  'scramSha512',
  'gssapi',
];

/** The value a local JSON pointer `$ref` names; throws when it names nothing. */
function resolve(doc: Json, ref: string): Json {
  expect(ref.startsWith('#/')).toBe(true);
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) node = (node as Json | undefined)?.[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')];
  if (node === undefined) throw new Error(`$ref ${ref} points nowhere`);
  return node as Json;
}

function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref') out.push(v as string);
      else refs(v, out);
    }
  }
  return out;
}

/**
 * The committed docs/asyncapi.json, read as a partner's tooling would: AsyncAPI 3.0 in shape, every
 * reference resolving, channels, operations and messages tied together, the Avro payloads valid Avro,
 * and the example headers valid against the headers schema (checked by the test's own JSON Schema checker).
 */
describe('docs/asyncapi.json', () => {
  const doc = JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'asyncapi.json'), 'utf8')) as Json;

  it('is an AsyncAPI 3.0.0 document', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.info).toEqual(expect.objectContaining({ title: expect.any(String), version: expect.stringMatching(/^\d+\.\d+\.\d+/) }));
    for (const key of ['servers', 'channels', 'operations', 'components']) expect(typeof doc[key]).toBe('object');
    for (const section of [doc.servers, doc.channels, doc.operations, doc.components.messages, doc.components.schemas]) {
      for (const key of Object.keys(section)) expect(key).toMatch(KEY);
    }
  });

  it('resolves every $ref', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(100);
    const broken = all.filter((r) => {
      try {
        resolve(doc, r);
        return false;
      } catch {
        return true;
      }
    });
    expect(broken).toEqual([]);
  });

  it('has Kafka servers with security schemes of a known type', () => {
    for (const [id, server] of Object.entries(doc.servers as Json)) {
      expect({ id, protocol: PROTOCOLS.includes(server.protocol) }).toEqual({ id, protocol: true });
      expect(server.host).toMatch(/^[^/]+:\d+$/);
      expect(server.security.length).toBeGreaterThan(0);
      for (const s of server.security) expect(SECURITY_TYPES).toContain(resolve(doc, s.$ref).type);
    }
  });

  it('declares every parameter of a channel address, and names its servers and messages', () => {
    for (const [id, channel] of Object.entries(doc.channels as Json)) {
      const used = [...(channel.address as string).matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      expect({ id, parameters: Object.keys(channel.parameters ?? {}).sort() }).toEqual({ id, parameters: used });
      for (const s of channel.servers) expect(s.$ref).toMatch(/^#\/servers\//);
      for (const m of Object.values(channel.messages as Json)) expect(m.$ref).toMatch(/^#\/components\/messages\//);
    }
  });

  it('has operations that send or receive messages of their own channel', () => {
    const actions = new Set<string>();
    for (const [id, op] of Object.entries(doc.operations as Json)) {
      actions.add(op.action);
      expect(['send', 'receive']).toContain(op.action);
      expect(op.channel.$ref).toMatch(/^#\/channels\/[^/]+$/);
      for (const m of op.messages) expect({ id, inChannel: m.$ref.startsWith(`${op.channel.$ref}/messages/`) }).toEqual({ id, inChannel: true });
    }
    expect([...actions].sort()).toEqual(['receive', 'send']);
  });

  it('gives every message an Avro payload, a headers schema and the case id as Kafka key', () => {
    const messages = Object.entries(doc.components.messages as Json);
    expect(messages.length).toBeGreaterThan(0);
    for (const [id, message] of messages) {
      const payload = message.payload.$ref ? resolve(doc, message.payload.$ref) : message.payload;
      expect({ id, schemaFormat: payload.schemaFormat }).toEqual({ id, schemaFormat: AVRO });
      const type = avro.Type.forSchema(structuredClone(payload.schema), { logicalTypes: {} }) as avro.types.RecordType;
      expect(type.fields[0].name).toBe('envelope');
      expect(resolve(doc, message.headers.$ref)).toBeDefined();
      expect(message.bindings.kafka.key).toBeDefined();
    }
  });

  it('has examples whose headers the headers schema accepts', () => {
    const checker = new JsonSchemaChecker(doc);
    let examples = 0;
    for (const [id, message] of Object.entries(doc.components.messages as Json)) {
      for (const example of message.examples ?? []) {
        examples++;
        expect({ id, problems: checker.problems(message.headers, example.headers) }).toEqual({ id, problems: [] });
        expect(example.payload.envelope.eventType).toBe(message.name);
      }
    }
    expect(examples).toBeGreaterThan(0);
    // The checker does check: a header missing, or a wrong constant, is found.
    const headers = { ...doc.components.messages.SubsidyApproved.examples[0].headers, ce_specversion: '0.3' };
    delete headers['tongban-event-id'];
    expect(checker.problems(doc.components.messages.SubsidyApproved.headers, headers).join('\n')).toMatch(
      /tongban-event-id: is required[\s\S]*ce_specversion: must be "1.0"/,
    );
  });
});
