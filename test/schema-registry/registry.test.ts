import { randomBytes } from 'node:crypto';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { RawAvroSchema } from '@kafkajs/confluent-schema-registry/dist/@types';
import { join } from 'node:path';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { JsonLogger } from '@tongban/observability';
import { dropDatabase } from '@tongban/persistence';
import { createSchemaRegistryApp, SchemaRegistryApp } from '../../services/schema-registry/src/app';

const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
const MEDIA = 'application/vnd.schemaregistry.v1+json';
const ADMIN = { username: 'registry-admin', password: 'registry-admin-password-0123' };
const BASIC = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;

const person = (fields: object[] = []) => ({
  type: 'record',
  name: 'Person',
  namespace: 'cn.tongban.test.v1',
  fields: [{ name: 'idNumber', type: 'string' }, { name: 'name', type: 'string' }, ...fields],
});
const personV1 = person();
const personV2 = person([{ name: 'hukouDivision', type: ['null', 'string'], default: null }]);
const personNeedsAge = person([{ name: 'age', type: 'int' }]);

interface Answer {
  status: number;
  contentType: string | null;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('schema registry (Confluent REST API over MySQL)', () => {
  const database = `tb_reg_${randomBytes(5).toString('hex')}`;
  let registry: SchemaRegistryApp;
  let url: string;
  let n = 0;
  /** A subject no other test uses. */
  const subject = (what: string) => `cn.tongban.test.v1.${what}-${++n}`;

  async function call(method: string, path: string, body?: unknown, contentType = MEDIA): Promise<Answer> {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? { accept: MEDIA, authorization: BASIC } : { accept: MEDIA, 'content-type': contentType, authorization: BASIC },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text (Prometheus metrics)
    }
    return { status: res.status, contentType: res.headers.get('content-type'), body: parsed };
  }
  const register = (s: string, schema: object | string, extra: object = {}) =>
    call('POST', `/subjects/${encodeURIComponent(s)}/versions`, { schema: typeof schema === 'string' ? schema : JSON.stringify(schema), ...extra });

  beforeAll(async () => {
    registry = await createSchemaRegistryApp(
      {
        port: 0,
        host: '127.0.0.1',
        database,
        mysql: MYSQL,
        defaultCompatibility: 'BACKWARD',
        users: [{ name: ADMIN.username, password: ADMIN.password, role: 'admin' }],
        maxSchemaBytes: 256 * 1024,
        maxSubjects: 10_000,
        authFailuresPerMinute: 30,
      },
      new JsonLogger('schema-registry', undefined, 'error'),
    );
    url = await registry.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await registry?.close();
    await dropDatabase(MYSQL, database);
  });

  describe('with the third-party client @kafkajs/confluent-schema-registry', () => {
    it('registers, encodes and decodes, then reads old data with an evolved schema', async () => {
      const client = new SchemaRegistry({ host: url, auth: ADMIN });
      const s = subject('Person');
      const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(personV1) }, { subject: s });
      expect(id).toBeGreaterThan(0);

      const value = { idNumber: '510104199001011234', name: '张三' };
      const bytes = await client.encode(id, value);
      expect(bytes[0]).toBe(0);
      expect(bytes.readUInt32BE(1)).toBe(id);
      expect(await client.decode(bytes)).toEqual(value);

      const { id: id2 } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(personV2) }, { subject: s });
      expect(id2).not.toBe(id);
      expect(await client.getLatestSchemaId(s)).toBe(id2);
      expect(await client.getRegistryId(s, 1)).toBe(id);
      expect(await client.getRegistryIdBySchema(s, { type: SchemaType.AVRO, schema: JSON.stringify(personV1) })).toBe(id);

      // Old data read with the new schema: the added field takes its default.
      const decoded = await client.decode(bytes, { [SchemaType.AVRO]: { readerSchema: personV2 as RawAvroSchema } });
      expect(decoded).toEqual({ ...value, hukouDivision: null });

      // The client set the subject's level on first registration, as it does against Confluent's registry.
      expect((await call('GET', `/config/${s}`)).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    });

    it('refuses an incompatible schema with the reasons', async () => {
      const client = new SchemaRegistry({ host: url, auth: ADMIN });
      const s = subject('Person');
      await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(personV1) }, { subject: s });
      await expect(client.register({ type: SchemaType.AVRO, schema: JSON.stringify(personNeedsAge) }, { subject: s })).rejects.toThrow(
        /\/fields\/age: reader field has no default and the writer lacks it/,
      );
    });
  });

  it('serves tongban’s own registry client', async () => {
    const client = new SchemaRegistryClient(url, { auth: ADMIN });
    const s = subject('Person');
    const id = await client.register(s, personV1);
    expect(await client.lookup(s, personV1)).toBe(id);
    expect(JSON.parse(await client.schemaById(id))).toEqual(personV1);
  });

  it('registers every tongban event schema through the codec, once', async () => {
    const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
    const codec = new AvroCodec(catalogue, new SchemaRegistryClient(url, { auth: ADMIN }));
    await codec.prepare();
    const ids = await Promise.all(catalogue.eventTypes().map((t) => codec.writerId(t)));
    expect(new Set(ids).size).toBe(catalogue.eventTypes().length);
    const again = new AvroCodec(catalogue, new SchemaRegistryClient(url, { auth: ADMIN }), false);
    expect(await Promise.all(catalogue.eventTypes().map((t) => again.writerId(t)))).toEqual(ids);
  });

  describe('registration', () => {
    it('gives the same schema the same id and no new version, whatever its layout', async () => {
      const s = subject('Person');
      const first = await register(s, personV1);
      expect(first).toMatchObject({ status: 200, body: { id: expect.any(Number) } });
      const relaid = { fields: personV1.fields, namespace: 'cn.tongban.test.v1', type: 'record', name: 'Person' };
      const again = await register(s, JSON.stringify(relaid, null, 4));
      expect(again.body.id).toBe(first.body.id);
      expect((await call('GET', `/subjects/${s}/versions`)).body).toEqual([1]);

      const other = subject('Other');
      expect((await register(other, personV1)).body.id).toBe(first.body.id);
      expect((await call('GET', `/schemas/ids/${first.body.id}/versions`)).body).toEqual(
        expect.arrayContaining([
          { subject: s, version: 1 },
          { subject: other, version: 1 },
        ]),
      );
      expect((await call('GET', `/schemas/ids/${first.body.id}/subjects`)).body).toEqual(expect.arrayContaining([s, other]));
    });

    it('keeps one id and one version when replicas race to register the same schema', async () => {
      const s = subject('Race');
      const schema = person([{ name: 'race', type: 'string', default: 'x' }]);
      const answers = await Promise.all(Array.from({ length: 8 }, () => register(s, schema)));
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect((await call('GET', `/subjects/${s}/versions`)).body).toEqual([1]);
    });

    it('numbers racing compatible versions one after another', async () => {
      const s = subject('Race');
      await register(s, personV1);
      const schemas = [1, 2, 3, 4].map((i) => person([{ name: `extra${i}`, type: 'int', default: i }]));
      const answers = await Promise.all(schemas.map((schema) => register(s, schema)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      expect((await call('GET', `/subjects/${s}/versions`)).body).toEqual([1, 2, 3, 4, 5]);
    });

    it('looks a schema up under a subject', async () => {
      const s = subject('Person');
      const { body } = await register(s, personV1);
      const found = await call('POST', `/subjects/${s}`, { schema: JSON.stringify(personV1) });
      expect(found).toMatchObject({ status: 200, body: { subject: s, id: body.id, version: 1, schema: JSON.stringify(personV1) } });
      expect(JSON.parse((await call('GET', `/subjects/${s}/versions/latest`)).body.schema)).toEqual(personV1);
      expect((await call('GET', `/subjects/${s}/versions/1/schema`)).body).toEqual(personV1);
      expect((await call('GET', `/schemas/ids/${body.id}`)).body).toEqual({ schema: JSON.stringify(personV1) });
      expect((await call('GET', '/subjects')).body).toEqual(expect.arrayContaining([s]));
      expect((await call('GET', '/schemas/types')).body).toEqual(['AVRO']);
    });
  });

  describe('error codes', () => {
    it.each([
      ['an unknown subject', 'GET', '/subjects/nobody/versions', undefined, 404, 40401],
      ['a look-up under an unknown subject', 'POST', '/subjects/nobody', { schema: JSON.stringify(personV1) }, 404, 40401],
      ['an unknown schema id', 'GET', '/schemas/ids/987654', undefined, 404, 40403],
      ['a version that is not a number', 'GET', '/subjects/nobody/versions/first', undefined, 422, 42202],
      ['a schema that is not JSON', 'POST', '/subjects/x/versions', { schema: '{"type":' }, 422, 42201],
      [
        'a schema avsc refuses',
        'POST',
        '/subjects/x/versions',
        { schema: '{"type":"record","name":"R","fields":[{"name":"a","type":"Missing"}]}' },
        422,
        42201,
      ],
      ['a schema of another type', 'POST', '/subjects/x/versions', { schema: '{"type":"object"}', schemaType: 'JSON' }, 422, 42201],
      ['an unknown compatibility level', 'PUT', '/config', { compatibility: 'SIDEWAYS' }, 422, 42203],
      ['a subject without its own level', 'GET', '/config/nobody', undefined, 404, 40408],
    ])('answers %s with its code', async (_what, method, path, body, status, code) => {
      const answer = await call(method, path, body);
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ error_code: code, message: expect.any(String) });
      expect(answer.contentType).toContain(MEDIA);
    });

    it('answers 40402 for a missing version and 40403 for a schema not under the subject', async () => {
      const s = subject('Person');
      await register(s, personV1);
      expect((await call('GET', `/subjects/${s}/versions/99`)).body.error_code).toBe(40402);
      expect((await call('POST', `/subjects/${s}`, { schema: JSON.stringify(personV2) })).body.error_code).toBe(40403);
    });

    it('answers 409 with the reasons when a schema breaks compatibility', async () => {
      const s = subject('Person');
      await register(s, personV1);
      const answer = await register(s, personNeedsAge);
      expect(answer.status).toBe(409);
      expect(answer.body.error_code).toBe(409);
      expect(answer.body.message).toContain('/fields/age: reader field has no default and the writer lacks it');
      expect((await call('GET', `/subjects/${s}/versions`)).body).toEqual([1]);
    });

    it('refuses a body in another media type, and malformed JSON', async () => {
      expect((await call('POST', '/subjects/x/versions', JSON.stringify({ schema: '"string"' }), 'text/plain')).status).toBe(415);
      const malformed = await call('POST', '/subjects/x/versions', '{"schema":', MEDIA);
      expect(malformed).toMatchObject({ status: 400, body: { error_code: 400 } });
    });

    it('reads every accepted media type', async () => {
      for (const type of ['application/vnd.schemaregistry+json', 'application/json', MEDIA]) {
        const answer = await call('POST', `/subjects/${subject('Media')}/versions`, { schema: '"string"' }, type);
        expect(answer.status).toBe(200);
        expect(answer.contentType).toContain(MEDIA);
      }
    });
  });

  describe('compatibility', () => {
    it('tests a schema against the latest version, verbosely', async () => {
      const s = subject('Person');
      await register(s, personV1);
      const ok = await call('POST', `/compatibility/subjects/${s}/versions/latest`, { schema: JSON.stringify(personV2) });
      expect(ok).toMatchObject({ status: 200, body: { is_compatible: true } });
      const bad = await call('POST', `/compatibility/subjects/${s}/versions/1?verbose=true`, { schema: JSON.stringify(personNeedsAge) });
      expect(bad.body.is_compatible).toBe(false);
      expect(bad.body.messages).toEqual([expect.stringContaining('/fields/age: reader field has no default and the writer lacks it')]);
      expect((await call('POST', `/compatibility/subjects/${s}/versions/7`, { schema: JSON.stringify(personV2) })).body.error_code).toBe(40402);
    });

    it('keeps a level per subject, falling back to the global one', async () => {
      const s = subject('Person');
      await register(s, personV1);
      expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
      expect((await call('GET', `/config/${s}?defaultToGlobal=true`)).body).toEqual({ compatibilityLevel: 'BACKWARD' });
      expect((await call('PUT', `/config/${s}`, { compatibility: 'NONE' })).body).toEqual({ compatibility: 'NONE' });
      expect((await call('GET', `/config/${s}`)).body).toEqual({ compatibilityLevel: 'NONE' });
      expect((await register(s, personNeedsAge)).status).toBe(200);

      expect((await call('PUT', `/config/${s}`, { compatibility: 'FORWARD' })).status).toBe(200);
      // FORWARD: version 2 (age, no default) must read the new schema's data, which lacks age.
      const withoutAge = person([{ name: 'note', type: 'string', default: '' }]);
      expect((await register(s, withoutAge)).status).toBe(409);
      expect((await call('DELETE', `/config/${s}`)).body).toEqual({ compatibilityLevel: 'FORWARD' });
      expect((await call('GET', `/config/${s}`)).body.error_code).toBe(40408);
    });
  });

  describe('deletion', () => {
    it('soft-deletes a version, then deletes it for good', async () => {
      const s = subject('Person');
      await register(s, personV1);
      await register(s, personV2);
      expect((await call('DELETE', `/subjects/${s}/versions/1?permanent=true`)).body.error_code).toBe(40407);
      expect((await call('DELETE', `/subjects/${s}/versions/1`)).body).toBe(1);
      expect((await call('DELETE', `/subjects/${s}/versions/1`)).body.error_code).toBe(40406);
      expect((await call('GET', `/subjects/${s}/versions`)).body).toEqual([2]);
      expect((await call('GET', `/subjects/${s}/versions?deleted=true`)).body).toEqual([1, 2]);
      expect((await call('GET', `/subjects/${s}/versions/1`)).body.error_code).toBe(40402);
      expect((await call('GET', `/subjects/${s}/versions/1?deleted=true`)).body.version).toBe(1);
      expect((await call('DELETE', `/subjects/${s}/versions/1?permanent=true`)).body).toBe(1);
      expect((await call('GET', `/subjects/${s}/versions?deleted=true`)).body).toEqual([2]);
    });

    it('soft-deletes a subject, then deletes it for good, keeping schema ids readable', async () => {
      const s = subject('Person');
      const { body } = await register(s, personV1);
      expect((await call('DELETE', `/subjects/${s}?permanent=true`)).body.error_code).toBe(40405);
      expect((await call('DELETE', `/subjects/${s}`)).body).toEqual([1]);
      expect((await call('DELETE', `/subjects/${s}`)).body.error_code).toBe(40404);
      expect((await call('GET', '/subjects')).body).not.toContain(s);
      expect((await call('GET', '/subjects?deleted=true')).body).toContain(s);
      expect((await call('GET', `/subjects/${s}/versions`)).body.error_code).toBe(40401);
      expect((await call('DELETE', `/subjects/${s}?permanent=true`)).body).toEqual([1]);
      expect((await call('GET', '/subjects?deleted=true')).body).not.toContain(s);
      // Messages on topics still name the id, so the schema stays readable by id.
      expect((await call('GET', `/schemas/ids/${body.id}`)).status).toBe(200);
      // Registering it again under the subject gives the same id.
      expect((await register(s, personV1)).body.id).toBe(body.id);
    });
  });

  it('answers /health with MySQL and /metrics in Prometheus text', async () => {
    const health = await call('GET', '/health');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', checks: { mysql: { status: 'up' } } } });
    const metrics = await call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.contentType).toContain('text/plain');
    expect(metrics.body).toContain('tongban_schema_registrations_total');
  });
});
