import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { contractsDir } from '@tongban/config';
import { createKafka, resolveKafkaCredentials } from '@tongban/kafka';
import { signStandardWebhook } from '@tongban/partner-client';
import { example } from '../support/examples';
import { BROKERS } from '../support/test-stack';
import { developmentRegistryAuth, startTestRegistry } from '../support/test-registry';
import { uniqueId } from '../support/unique';

const ROOT = join(__dirname, '../..');

describe('the partner client installed from its tarball, outside a checkout', () => {
  let dir: string;

  /** Runs a script in the partner's folder, where only the installed package can be required. */
  function partnerScript(script: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    writeFileSync(join(dir, 'script.js'), script);
    return new Promise((resolve) => {
      execFile(process.execPath, ['script.js'], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  beforeAll(() => {
    const tarball = execFileSync(process.execPath, [join(ROOT, 'tools/packaging/pack.js'), 'partner-client'], { cwd: ROOT, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!;
    dir = mkdtempSync(join(tmpdir(), 'tongban-partner-'));
    writeFileSync(join(dir, 'package.json'), '{"name":"partner-system","version":"1.0.0","private":true}\n');
    // kafkajs and avsc come from the local npm cache that installed this checkout.
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: dir, stdio: 'pipe', timeout: 120_000 });
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('verifies a signed delivery and refuses a tampered one', async () => {
    const secret = `whsec_${Buffer.from('partner secret of thirty-two bytes').toString('base64')}`;
    const body = '{"eventId":"e-1","eventType":"SubsidyApplicationSubmitted"}';
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'e-1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhook(secret, 'e-1', timestamp, body) };
    const r = await partnerScript(
      `const { verifyWebhook } = require('tongban-partner-client');
       const input = JSON.parse(process.env.INPUT);
       console.log(JSON.stringify(verifyWebhook(input)));
       try { verifyWebhook({ ...input, body: input.body.replace('Subsidy', 'Funeral') }); console.log('accepted'); }
       catch (e) { console.log(e.reason); }`,
      { INPUT: JSON.stringify({ secret, headers, body }) },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([JSON.stringify({ eventId: 'e-1', timestamp }), 'BAD_SIGNATURE']);
  });

  it('reads and decodes an event from a real inbox through a real registry', async () => {
    const ns = `t-${uniqueId()}`;
    const registry = await startTestRegistry(`tb_${ns.replace(/-/g, '_')}_registry`);
    const admin = createKafka(BROKERS, `package-test-${ns}`);
    try {
      const codec = new AvroCodec(
        new SchemaCatalogue(join(contractsDir(), 'avro')),
        new SchemaRegistryClient(registry.url, { auth: developmentRegistryAuth() }),
        true,
      );
      const body = example('SubsidyApplicationSubmitted', ns);
      const eventId = '2d8e4b1c-5a6f-4e3d-9c2b-1a0f9e8d7c6b';
      const value = await codec.encode('SubsidyApplicationSubmitted', {
        envelope: {
          eventId,
          eventType: body.eventType,
          caseId: body.caseId,
          sourceRegion: body.sourceRegion,
          targetRegion: body.targetRegion,
          sourceOffice: null,
          occurredAt: body.occurredAt,
          correlationId: eventId,
          causationId: null,
          producer: 'test',
          schemaVersion: 1,
        },
        ...body.payload,
      });
      const topicAdmin = admin.admin();
      await topicAdmin.connect();
      await topicAdmin.createTopics({ waitForLeaders: true, topics: [{ topic: `${ns}.500000.inbox`, numPartitions: 1 }] });
      await topicAdmin.disconnect();
      const producer = admin.producer();
      await producer.connect();
      await producer.send({ topic: `${ns}.500000.inbox`, acks: -1, messages: [{ key: body.caseId, value }] });
      await producer.disconnect();

      const credentials = resolveKafkaCredentials(BROKERS);
      const r = await partnerScript(
        `const { startPartnerInboxConsumer } = require('tongban-partner-client');
         const o = JSON.parse(process.env.OPTIONS);
         startPartnerInboxConsumer({ ...o, onEvent: async (e) => {
           console.log(JSON.stringify({ eventType: e.eventType, eventId: e.value.envelope.eventId, idNumber: e.value.applicant.idNumber }));
           setTimeout(() => process.exit(0), 500);
         } }).catch((e) => { console.error(e.message); process.exit(1); });`,
        {
          OPTIONS: JSON.stringify({
            brokers: BROKERS,
            username: credentials?.username,
            password: credentials?.password,
            mechanism: credentials?.mechanism,
            node: '500000',
            namespace: ns,
            groupId: `partner.500000.${ns}`,
            schemaRegistryUrl: registry.url,
            schemaRegistryAuth: developmentRegistryAuth(),
          }),
        },
      );
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n')[0])).toEqual({
        eventType: 'SubsidyApplicationSubmitted',
        eventId,
        idNumber: (body.payload.applicant as { idNumber: string }).idNumber,
      });
    } finally {
      const a = admin.admin();
      await a.connect();
      await a.deleteTopics({ topics: [`${ns}.500000.inbox`] }).catch(() => undefined);
      await a.disconnect();
      await registry.close();
    }
  });
});
