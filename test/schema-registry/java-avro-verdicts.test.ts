import { randomBytes } from 'node:crypto';
import { JsonLogger } from '@tongban/observability';
import { dropDatabase } from '@tongban/persistence';
import { EnvReader } from '@tongban/config';
import { createSchemaRegistryApp, SchemaRegistryApp } from '../../services/schema-registry/src/app';
import { readSchemaRegistryConfig } from '../../services/schema-registry/src/schema-registry.config';
import { developmentRegistryAuth } from '../support/test-registry';

const MEDIA = 'application/vnd.schemaregistry.v1+json';
const ADMIN = developmentRegistryAuth();
const BASIC = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;

const payment = (amount: object, namespace = 'cn.tongban.test.v1') => ({
  type: 'record',
  name: 'Payment',
  namespace,
  fields: [
    { name: 'amount', type: amount },
    { name: 'payer', type: { type: 'record', name: 'Office', fields: [{ name: 'code', type: 'string' }] } },
  ],
});
const decimal = (precision: number, scale: number) => ({ type: 'bytes', logicalType: 'decimal', precision, scale });

/** A registry in this process, configured by the environment a deployment would give it. */
async function startRegistry(env: Record<string, string>): Promise<{ registry: SchemaRegistryApp; url: string; database: string }> {
  const database = `tb_regj_${randomBytes(5).toString('hex')}`;
  const config = readSchemaRegistryConfig(new EnvReader({ ...env, TONGBAN_PROFILE: 'development', TONGBAN_SCHEMA_REGISTRY_DATABASE: database }));
  const registry = await createSchemaRegistryApp(config, new JsonLogger('schema-registry', undefined, 'error'));
  return { registry, url: await registry.listen(0, '127.0.0.1'), database };
}

describe('schema registry verdicts agree with Java Avro, stricter rules only when named', () => {
  let plain: Awaited<ReturnType<typeof startRegistry>>;
  let strict: Awaited<ReturnType<typeof startRegistry>>;
  let n = 0;

  beforeAll(async () => {
    plain = await startRegistry({});
    strict = await startRegistry({ TONGBAN_SCHEMA_REGISTRY_STRICT_RULES: 'decimal-scale,full-names' });
  });
  afterAll(async () => {
    for (const r of [plain, strict]) {
      if (!r) continue;
      await r.registry.close();
      await dropDatabase({ host: '127.0.0.1', port: 3306, user: 'root', password: '' }, r.database);
    }
  });

  async function call(url: string, method: string, path: string, body?: unknown) {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { accept: MEDIA, 'content-type': MEDIA, authorization: BASIC },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** Registers `first` under a new subject in `mode`, then asks whether `next` may follow it. */
  async function verdict(url: string, mode: string, first: object, next: object) {
    const subject = `cn.tongban.test.v1.Payment-${++n}`;
    expect((await call(url, 'PUT', `/config/${subject}`, { compatibility: mode })).status).toBe(200);
    expect((await call(url, 'POST', `/subjects/${subject}/versions`, { schema: JSON.stringify(first) })).status).toBe(200);
    const answer = await call(url, 'POST', `/compatibility/subjects/${subject}/versions/latest?verbose=true`, { schema: JSON.stringify(next) });
    expect(answer.status).toBe(200);
    return answer.body as { is_compatible: boolean; messages: string[] };
  }

  it.each(['BACKWARD', 'FORWARD', 'FULL'])('accepts widening a decimal from (12,2) to (14,2) under %s, as Java Avro does', async (mode) => {
    expect(await verdict(plain.url, mode, payment(decimal(12, 2)), payment(decimal(14, 2)))).toEqual({ is_compatible: true, messages: [] });
    const registered = await call(plain.url, 'POST', `/subjects/cn.tongban.test.v1.Payment-${n}/versions`, { schema: JSON.stringify(payment(decimal(14, 2))) });
    expect(registered.status).toBe(200);
  });

  it('accepts a scale change by default and refuses it under decimal-scale, saying which rule', async () => {
    expect((await verdict(plain.url, 'FULL', payment(decimal(12, 2)), payment(decimal(12, 3)))).is_compatible).toBe(true);
    const refused = await verdict(strict.url, 'FULL', payment(decimal(12, 2)), payment(decimal(12, 3)));
    expect(refused.is_compatible).toBe(false);
    expect(refused.messages.join('\n')).toContain('rule decimal-scale');
    // A wider precision stays compatible even under the strict rule.
    expect((await verdict(strict.url, 'FULL', payment(decimal(12, 2)), payment(decimal(14, 2)))).is_compatible).toBe(true);
  });

  it('accepts a nested record moved to another namespace by default and refuses it under full-names', async () => {
    const moved = payment(decimal(12, 2));
    (moved.fields[1].type as Record<string, unknown>).namespace = 'cn.tongban.test.v2';
    expect((await verdict(plain.url, 'BACKWARD', payment(decimal(12, 2)), moved)).is_compatible).toBe(true);
    const refused = await verdict(strict.url, 'BACKWARD', payment(decimal(12, 2)), moved);
    expect(refused.is_compatible).toBe(false);
    expect(refused.messages.join('\n')).toContain('by full name or reader alias');
  });

  it('refuses to start with a rule it does not know, naming the variable', () => {
    expect(() =>
      readSchemaRegistryConfig(new EnvReader({ TONGBAN_PROFILE: 'development', TONGBAN_SCHEMA_REGISTRY_STRICT_RULES: 'decimal-precision' })),
    ).toThrow(/TONGBAN_SCHEMA_REGISTRY_STRICT_RULES: expected a comma-separated list of decimal-scale, full-names, got "decimal-precision"/);
  });
});
