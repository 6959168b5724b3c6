import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { AddressInfo } from 'node:net';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { hashApiKey, legacyKeyIdOf } from '@tongban/auth';
import { contractsDir } from '@tongban/config';
import { example } from '../support/examples';
import { MYSQL, post, startTestStack, testLogger, TestStack } from '../support/test-stack';
import { readRaw } from '../partners/partner-support';
import { createGatewayApp } from '../../services/gateway/src/app';
import { readGatewayConfig } from '../../services/gateway/src/gateway.config';

const digests = (key: string) => ['sha256', 'sha1', 'md5', 'sha512'].map((a) => createHash(a).update(key).digest('hex'));

describe('attack: brute-force a configured key from the producer field of the envelopes it wrote', () => {
  let stack: TestStack;
  let codec: AvroCodec;
  beforeAll(async () => {
    stack = await startTestStack();
    codec = new AvroCodec(new SchemaCatalogue(join(contractsDir(), 'avro')), new SchemaRegistryClient(stack.registryUrl, { auth: stack.registryAuth }), false);
  });
  afterAll(() => stack?.stop());

  async function producerOf(key: string, suffix: string, gatewayUrl = stack.gatewayUrl): Promise<string> {
    const body = example('SubsidyApplicationSubmitted', `${stack.id}-${suffix}`);
    const r = await post({ gatewayUrl }, body, key);
    expect(r.status).toBe(202);
    const [message] = await readRaw(stack.kafka, stack.inbox('500000'), r.body.eventId as string);
    const decoded = (await codec.decode(message.value as Buffer)) as { value: { envelope: { producer: string } } };
    return decoded.value.envelope.producer;
  }

  it('the key id in producer is neither a plain digest of the key nor a prefix of one: a guessed key cannot be checked offline', async () => {
    const producer = await producerOf('dev-chengdu', 'producer');
    const [, division, keyId] = producer.split(':');
    expect(division).toBe('510100');
    expect(keyId).toMatch(/^c[0-9a-f]{23}$/);
    for (const d of digests('dev-chengdu')) expect(d).not.toContain(keyId.slice(1, 9));
    expect(keyId).not.toBe(legacyKeyIdOf('dev-chengdu'));
  });

  it('a configured key stored under its former, derivable id keeps working after the upgrade, under a keyed id', async () => {
    const key = `legacy-municipal-${randomBytes(6).toString('hex')}`;
    const salt = randomBytes(16).toString('hex');
    const conn = await createConnection({ ...MYSQL, database: stack.databases.gateway });
    try {
      await conn.query(
        `INSERT INTO api_keys (key_id, salt, key_hash, division, office_id, system_name, origin, rotated_from, created_at, expires_at, revoked_at, rate_per_second, burst)
         VALUES (?, ?, ?, '510100', NULL, 'bootstrap:510100', 'bootstrap', NULL, UTC_TIMESTAMP(3), NULL, NULL, NULL, NULL)`,
        [legacyKeyIdOf(key), salt, hashApiKey(key, salt)],
      );
      const nodeUrls = [...stack.nodes.entries()].map(
        ([region, node]) => `${region}=http://127.0.0.1:${(node.app.getHttpServer().address() as AddressInfo).port}`,
      );
      const upgraded = await createGatewayApp(
        readGatewayConfig({
          ...stack.env,
          TONGBAN_GATEWAY_DATABASE: stack.databases.gateway,
          TONGBAN_NODE_URLS: nodeUrls.join(','),
          TONGBAN_API_KEYS: `${key}=510100`,
        }),
        testLogger('gateway'),
      );
      try {
        await upgraded.app.listen(0, '127.0.0.1');
        const url = `http://127.0.0.1:${(upgraded.app.getHttpServer().address() as AddressInfo).port}`;
        const producer = await producerOf(key, 'legacy', url);
        const keyId = producer.split(':')[2];
        expect(keyId).not.toBe(legacyKeyIdOf(key));
        const [rows] = await conn.query('SELECT key_id, rotated_from, revoked_at FROM api_keys WHERE key_id IN (?, ?) ORDER BY key_id', [
          keyId,
          legacyKeyIdOf(key),
        ]);
        const byId = new Map((rows as Array<{ key_id: string; rotated_from: string | null; revoked_at: Date | null }>).map((r) => [r.key_id, r]));
        expect(byId.get(keyId)?.rotated_from).toBe(legacyKeyIdOf(key));
        expect(byId.get(legacyKeyIdOf(key))?.revoked_at).not.toBeNull();
      } finally {
        await upgraded.close();
      }
    } finally {
      await conn.end();
    }
  });
});
