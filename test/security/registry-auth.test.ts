import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { SchemaRegistryClient } from '@tongban/avro';
import { localSecret } from '@tongban/config';
import { developmentRegistryAuth, startTestRegistry } from '../support/test-registry';
import { uniqueId } from '../support/unique';

const MEDIA = 'application/vnd.schemaregistry.v1+json';
const schema = (name: string, extra = '') =>
  JSON.stringify({ type: 'record', name, namespace: 'cn.tongban.attack.v1', doc: extra, fields: [{ name: 'id', type: 'string' }] });
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

async function call(url: string, method: string, path: string, authorization?: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { accept: MEDIA, ...(body === undefined ? {} : { 'content-type': MEDIA }), ...(authorization ? { authorization } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { text };
  }
  return { status: res.status, body: json, headers: res.headers };
}

describe('attack: schema registry without or with the wrong credentials', () => {
  let registry: Awaited<ReturnType<typeof startTestRegistry>>;
  const admin = developmentRegistryAuth();
  const ADMIN = basic(admin.username, admin.password);
  const READER = basic('partner', localSecret('schema-registry-reader-password'));
  const subject = (what: string) => `cn.tongban.attack.v1.${what}-${uniqueId()}`;

  beforeAll(async () => {
    registry = await startTestRegistry(`tb_${uniqueId()}_registry`, { TONGBAN_SCHEMA_REGISTRY_MAX_SUBJECTS: '1000000' });
  });
  afterAll(() => registry?.close());

  it('reading subjects with no credentials answers 401 with Confluent error 40101 and a Basic challenge', async () => {
    const r = await call(registry.url, 'GET', '/subjects');
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error_code: 40101, message: expect.stringMatching(/Unauthorized/) });
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('registering a schema with a guessed password answers 401 and registers nothing', async () => {
    const s = subject('Guess');
    const r = await call(registry.url, 'POST', `/subjects/${s}/versions`, basic(admin.username, 'password123'), { schema: schema('Guess') });
    expect(r.status).toBe(401);
    expect(r.body.error_code).toBe(40101);
    expect((await call(registry.url, 'GET', `/subjects/${s}/versions`, ADMIN)).status).toBe(404);
  });

  it('a bearer API key instead of basic credentials answers 401', async () => {
    expect((await call(registry.url, 'GET', '/subjects', 'Bearer dev-chengdu')).status).toBe(401);
  });

  it('a reader trying to register, change compatibility, change the mode or delete answers 403 (40301); its reads answer 200', async () => {
    const s = subject('Readable');
    const { body } = await call(registry.url, 'POST', `/subjects/${s}/versions`, ADMIN, { schema: schema('Readable') });
    const id = body.id as number;
    for (const [method, path, payload] of [
      ['POST', `/subjects/${s}/versions`, { schema: schema('Readable', 'changed') }],
      ['PUT', '/config', { compatibility: 'NONE' }],
      ['PUT', `/config/${s}`, { compatibility: 'NONE' }],
      ['PUT', '/mode', { mode: 'IMPORT' }],
      ['DELETE', `/subjects/${s}`, undefined],
      ['DELETE', `/subjects/${s}/versions/1`, undefined],
    ] as const) {
      const r = await call(registry.url, method, path, READER, payload);
      expect({ method, path, status: r.status, code: r.body.error_code }).toEqual({ method, path, status: 403, code: 40301 });
    }
    expect((await call(registry.url, 'GET', `/schemas/ids/${id}`, READER)).status).toBe(200);
    expect((await call(registry.url, 'GET', `/subjects/${s}/versions/latest`, READER)).body.id).toBe(id);
    expect((await call(registry.url, 'POST', `/subjects/${s}`, READER, { schema: schema('Readable') })).body.id).toBe(id);
    expect((await call(registry.url, 'GET', `/config/${s}`, ADMIN)).status).toBe(404);
    expect((await call(registry.url, 'GET', `/subjects/${s}/versions`, ADMIN)).body).toEqual([1]);
  });

  it('the Confluent client @kafkajs/confluent-schema-registry works with its auth option and is refused without it', async () => {
    const s = subject('Confluent');
    const anonymous = new SchemaRegistry({ host: registry.url });
    await expect(anonymous.register({ type: SchemaType.AVRO, schema: schema('Confluent') }, { subject: s })).rejects.toThrow(/401|Unauthorized/);
    const client = new SchemaRegistry({ host: registry.url, auth: admin });
    const { id } = await client.register({ type: SchemaType.AVRO, schema: schema('Confluent') }, { subject: s });
    const bytes = await client.encode(id, { id: 'x-1' });
    const reader = new SchemaRegistry({ host: registry.url, auth: { username: 'partner', password: localSecret('schema-registry-reader-password') } });
    expect(await reader.decode(bytes)).toEqual({ id: 'x-1' });
  });

  it('tongban’s own client sends the configured credentials, and without them is refused', async () => {
    const s = subject('Own');
    await expect(new SchemaRegistryClient(registry.url).register(s, schema('Own'))).rejects.toThrow(/401/);
    const id = await new SchemaRegistryClient(registry.url, { auth: admin }).register(s, schema('Own'));
    expect(await new SchemaRegistryClient(registry.url, { auth: admin }).schemaById(id)).toContain('cn.tongban.attack.v1');
  });

  it('a schema over 256 KiB answers 422 with Confluent’s shape and is not stored', async () => {
    const s = subject('Huge');
    const r = await call(registry.url, 'POST', `/subjects/${s}/versions`, ADMIN, { schema: schema('Huge', 'x'.repeat(300 * 1024)) });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({ error_code: 42201, message: expect.stringMatching(/more than the limit of 262144/) });
    expect((await call(registry.url, 'GET', `/subjects/${s}/versions`, ADMIN)).status).toBe(404);
  });

  it('health and metrics stay open for probes', async () => {
    for (const path of ['/health', '/health/live', '/health/ready', '/metrics']) {
      expect([path, (await call(registry.url, 'GET', path)).status]).toEqual([path, 200]);
    }
  });
});

describe('attack: fill the schema registry with subjects', () => {
  it('registering past the subject limit answers 422 (42210); a new version of a held subject still registers', async () => {
    const registry = await startTestRegistry(`tb_${uniqueId()}_registry`, { TONGBAN_SCHEMA_REGISTRY_MAX_SUBJECTS: '2' });
    try {
      const client = new SchemaRegistryClient(registry.url, { auth: developmentRegistryAuth() });
      const [a, b, c] = ['A', 'B', 'C'].map((n) => `cn.tongban.attack.v1.Fill${n}`);
      await client.register(a, schema('FillA'));
      await client.register(b, schema('FillB'));
      await expect(client.register(c, schema('FillC'))).rejects.toMatchObject({ status: 422, errorCode: 42210 });
      await expect(client.register(a, schema('FillA', 'a compatible change'))).resolves.toEqual(expect.any(Number));
    } finally {
      await registry.close();
    }
  });
});

describe('attack: guess registry passwords from one address', () => {
  it('after 5 failed attempts in a minute the address gets 429 with Retry-After, even with the right password', async () => {
    const registry = await startTestRegistry(`tb_${uniqueId()}_registry`, { TONGBAN_AUTH_FAILURES_PER_MINUTE: '5' });
    try {
      const admin = developmentRegistryAuth();
      for (let i = 0; i < 5; i++) expect((await call(registry.url, 'GET', '/subjects', basic(admin.username, `guess-${i}`))).status).toBe(401);
      const refused = await call(registry.url, 'GET', '/subjects', basic(admin.username, admin.password));
      expect(refused.status).toBe(429);
      expect(refused.body.error_code).toBe(42901);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await call(registry.url, 'GET', '/health')).status).toBe(200);
    } finally {
      await registry.close();
    }
  });
});
