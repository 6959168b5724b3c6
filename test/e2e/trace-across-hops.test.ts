import { existsSync, readFileSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@tongban/config';
import { createKafka } from '@tongban/kafka';
import { dropDatabase } from '@tongban/persistence';
import { RunningService, spawnService, stackServices, stopService, waitForHealth } from '../../tools/stack/stack';
import { example } from '../support/examples';
import { MYSQL, post } from '../support/test-stack';
import { startTestRegistry } from '../support/test-registry';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { freePorts } from '../support/free-ports';

/** A span as an OTLP/JSON export carries it, with the service that sent it. */
interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  /** Span ids of the span's links. */
  links: string[];
}

// OTLP span kinds (the protocol counts from 1: internal, server, client, producer, consumer).
const KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };

const valueOf = (v: OtlpValue): unknown => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.boolValue ?? v.doubleValue;
const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/**
 * One HTTP server standing for two outside parties: an OTLP/HTTP receiver (JSON protocol, `POST /v1/traces`) that
 * collects what every service exports, and a partner's webhook endpoint (`POST /hook`) that keeps the headers it got.
 */
async function startCollector() {
  const spans: ExportedSpan[] = [];
  const hooks: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/v1/traces') {
        const doc = JSON.parse(body) as {
          resourceSpans: Array<{
            resource: { attributes: OtlpAttribute[] };
            scopeSpans: Array<{
              spans: Array<Omit<ExportedSpan, 'service' | 'attributes' | 'links'> & { attributes?: OtlpAttribute[]; links?: Array<{ spanId: string }> }>;
            }>;
          }>;
        };
        for (const rs of doc.resourceSpans ?? []) {
          const service = String(attributesOf(rs.resource.attributes)['service.name']);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                service,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId || undefined,
                name: s.name,
                kind: s.kind,
                attributes: attributesOf(s.attributes),
                links: (s.links ?? []).map((l) => l.spanId),
              });
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      hooks.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    spans,
    hooks,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('one trace across gateway, relay, region node and delivery (OpenTelemetry, OTLP)', () => {
  const id = uniqueId();
  const namespace = `t-${id}`;
  const prefix = `tb_${id}`;
  const logDir = join(tmpdir(), `tongban-trace-${id}`);
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let registry: { url: string; close(): Promise<void> };
  const running: RunningService[] = [];
  let gatewayUrl = '';
  let deliveryUrl = '';

  beforeAll(async () => {
    expect(existsSync(join(repoRoot(), 'dist/services/gateway/src/main.js'))).toBe(true); // npx tsc -p tsconfig.build.json
    collector = await startCollector();
    registry = await startTestRegistry(`${prefix}_registry`);
    const [gateway, relay, delivery, sichuan, chongqing, ops] = await freePorts(6);
    const specs = stackServices({
      namespace,
      databasePrefix: prefix,
      gatewayPort: gateway,
      relayPort: relay,
      deliveryPort: delivery,
      opsPort: ops,
      registryPort: Number(new URL(registry.url).port),
      nodePorts: { '510000': sichuan, '500000': chongqing },
      extraEnv: {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces`,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      },
    }).filter((s) => !['schema-registry', 'ops'].includes(s.name));
    for (const spec of specs) {
      const service = spawnService(spec, logDir);
      running.push(service);
      await waitForHealth(spec.healthUrl, 60_000, service.child);
    }
    gatewayUrl = `http://127.0.0.1:${gateway}`;
    deliveryUrl = `http://127.0.0.1:${delivery}`;
  }, 240_000);

  afterAll(async () => {
    for (const s of [...running].reverse()) await stopService(s);
    await collector?.close();
    await registry?.close();
    for (const db of ['gateway', 'node_510000', 'node_500000', 'delivery']) await dropDatabase(MYSQL, `${prefix}_${db}`).catch(() => undefined);
    const admin = createKafka(['127.0.0.1:9092'], `cleanup-${id}`).admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  }, 120_000);

  it('ties the request, the relay’s send, the node’s apply and the webhook delivery into one trace tree', async () => {
    const subscribed = await fetch(`${deliveryUrl}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dev-dazu' },
      body: JSON.stringify({ url: `${collector.url}/hook`, eventTypes: ['SubsidyApplicationSubmitted'], region: '500111' }),
    });
    expect(subscribed.status).toBe(201);

    const body = example('SubsidyApplicationSubmitted', `${id}-trace`);
    body.occurredAt = new Date().toISOString();
    const accepted = await post({ gatewayUrl }, body, 'dev-chengdu');
    expect(accepted.status).toBe(202);
    const eventId = accepted.body.eventId as string;

    const hook = await waitFor(async () => collector.hooks.find((h) => h['tongban-event-id'] === eventId), 'the webhook delivery', 60_000);
    const server = await waitFor(
      async () =>
        collector.spans.find(
          (s) =>
            s.service === 'tongban-gateway' &&
            s.kind === KIND.server &&
            /\/v1\/events$/.test(String(s.attributes['http.target'] ?? s.attributes['url.path'] ?? s.attributes['http.route'] ?? '')),
        ),
      'the gateway’s server span',
    );
    const traceId = server.traceId;
    const inTrace = () => collector.spans.filter((s) => s.traceId === traceId);
    const byId = () => new Map(inTrace().map((s) => [s.spanId, s]));
    const parentOf = (s: ExportedSpan) => (s.parentSpanId ? byId().get(s.parentSpanId) : undefined);
    const ancestors = (s: ExportedSpan): ExportedSpan[] => {
      const out: ExportedSpan[] = [];
      for (let p = parentOf(s); p; p = parentOf(p)) out.push(p);
      return out;
    };
    const find = (service: string, test: (s: ExportedSpan) => boolean) => inTrace().find((s) => s.service === service && test(s));
    // Each process exports its spans in its own time: wait until the hops' spans are in and none is missing its parent.
    const hops = await waitFor(
      async () => {
        const found = {
          relay: find(
            'tongban-relay',
            (s) => s.kind === KIND.producer && s.name === `publish ${namespace}.500000.inbox` && s.attributes['tongban.event_id'] === eventId,
          ),
          // The addressee's apply (from its inbox); the origin node applies its local copy under the relay's other send.
          apply: find(
            'tongban-region-node',
            (s) =>
              s.kind === KIND.consumer &&
              s.name === 'apply SubsidyApplicationSubmitted' &&
              s.attributes['tongban.event_id'] === eventId &&
              s.attributes['messaging.destination.name'] === `${namespace}.500000.inbox`,
          ),
          fanOut: find(
            'tongban-delivery',
            (s) =>
              s.kind === KIND.consumer &&
              s.name === 'deliveries for SubsidyApplicationSubmitted' &&
              byId().get(s.parentSpanId ?? '')?.attributes['tongban.event_id'] === eventId,
          ),
          deliver: find('tongban-delivery', (s) => s.name === 'deliver SubsidyApplicationSubmitted'),
          post: find('tongban-delivery', (s) => s.kind === KIND.client && (s.attributes['http.method'] ?? s.attributes['http.request.method']) === 'POST'),
        };
        const complete = Object.values(found).every(Boolean) && inTrace().every((s) => !s.parentSpanId || byId().has(s.parentSpanId));
        return complete ? (found as { [K in keyof typeof found]: ExportedSpan }) : undefined;
      },
      'every hop’s span, each with its parent',
      30_000,
      250,
    );
    const { relay, apply, fanOut, deliver, post: delivered } = hops;

    // The webhook request carried the trace: its traceparent names the delivery's client span.
    expect(hook.traceparent).toBe(`00-${traceId}-${delivered.spanId}-01`);
    expect(relay.attributes).toMatchObject({ 'tongban.event_id': eventId, 'tongban.event_type': 'SubsidyApplicationSubmitted' });

    // The tree: request → relay's send → (node's apply | delivery's fan-out → delivery attempt → webhook POST).
    expect(parentOf(relay)?.service).toBe('tongban-gateway');
    expect(ancestors(relay)).toContain(server);
    expect(ancestors(apply)).toContain(server);
    // The node and delivery each read the record of the relay's send of this event to the inbox (a row sent twice,
    // after a send that failed, is two sends: each reader's parent is one of them).
    const sendOfEvent = (s: ExportedSpan | undefined) =>
      s?.service === 'tongban-relay' && s.kind === KIND.producer && s.name === relay.name && s.attributes['tongban.event_id'] === eventId;
    expect(sendOfEvent(parentOf(apply))).toBe(true);
    expect(sendOfEvent(parentOf(fanOut))).toBe(true);
    expect(deliver.parentSpanId).toBe(fanOut.spanId);
    expect(delivered.parentSpanId).toBe(deliver.spanId);
    // One root, the gateway's server span; every other span of the trace hangs from a span of the trace.
    const roots = inTrace().filter((s) => !s.parentSpanId);
    expect(roots).toEqual([server]);
    for (const s of inTrace()) if (s !== server) expect(ancestors(s)).toContain(server);
    expect(new Set(inTrace().map((s) => s.service))).toEqual(new Set(['tongban-gateway', 'tongban-relay', 'tongban-region-node', 'tongban-delivery']));

    // No personal data in span attributes: the applicant's ID number and name appear nowhere in any exported span.
    const applicant = body.payload.applicant as { idNumber: string; name: string };
    const exported = JSON.stringify(collector.spans);
    expect(exported).not.toContain(applicant.idNumber);
    expect(exported).not.toContain(applicant.name);

    // The gateway's log line of the accepted event carries the trace id.
    const gatewayLog = readFileSync(join(logDir, 'gateway.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes(eventId) && l.startsWith('{'));
    expect(gatewayLog.map((l) => JSON.parse(l).traceId)).toContain(traceId);
  });

  it('gives each message of a batch applied in one transaction its own span under its own send, linked to the batch', async () => {
    const node = running.find((r) => r.spec.name === 'region-node-500000')!;
    const caseId = `SUB-510104-2026-000123-${id}-batch`;
    const now = new Date().toISOString();
    const events = ['SubsidyApplicationSubmitted', 'SubsidyApplicationWithdrawn'].map((type) => ({ ...example(type), caseId, occurredAt: now }));
    let ids: string[] = [];
    // Both events in one upload, so one transaction and one relay send: both records reach the partition at once, and
    // the node (held still meanwhile) reads them in one fetch, one run, one transaction.
    process.kill(node.child.pid!, 'SIGSTOP');
    try {
      const res = await fetch(`${gatewayUrl}/v1/events:batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer dev-chengdu' },
        body: JSON.stringify(events),
      });
      expect(res.status).toBe(207);
      const { results } = (await res.json()) as { results: Array<{ status: number; eventId: string }> };
      expect(results.map((r) => r.status)).toEqual([202, 202]);
      ids = results.map((r) => r.eventId);
      await waitFor(async () => {
        const sent = collector.spans.filter(
          (s) => s.service === 'tongban-relay' && s.name === `publish ${namespace}.500000.inbox` && ids.includes(String(s.attributes['tongban.event_id'])),
        );
        return sent.length >= 2 ? true : undefined;
      }, 'the relay’s sends of both events');
    } finally {
      process.kill(node.child.pid!, 'SIGCONT');
    }
    const applies = await waitFor(
      async () => {
        const found = ids.map((eventId) =>
          collector.spans.find(
            (s) =>
              s.service === 'tongban-region-node' &&
              s.attributes['tongban.event_id'] === eventId &&
              s.attributes['messaging.destination.name'] === `${namespace}.500000.inbox`,
          ),
        );
        return found.every(Boolean) ? (found as ExportedSpan[]) : undefined;
      },
      'the node’s spans of both events',
      30_000,
      250,
    );
    const batch = await waitFor(
      async () => collector.spans.find((s) => s.service === 'tongban-region-node' && s.spanId === applies[0].links[0]),
      'the batch span',
    );
    expect(batch).toMatchObject({ name: `apply batch ${namespace}.500000.inbox`, kind: KIND.consumer, parentSpanId: undefined });
    expect(batch.attributes['messaging.batch.message_count']).toBeGreaterThanOrEqual(2);
    for (const [i, apply] of applies.entries()) {
      expect(apply).toMatchObject({ name: `apply ${events[i].eventType}`, kind: KIND.consumer, links: [batch.spanId] });
      // Each message's span continues its own event's trace: its parent is the relay's send of that event.
      const parent = collector.spans.find((s) => s.spanId === apply.parentSpanId);
      expect(parent).toMatchObject({ service: 'tongban-relay', traceId: apply.traceId, attributes: expect.objectContaining({ 'tongban.event_id': ids[i] }) });
    }
    // One upload, one trace: both messages' spans hang from the upload request, each under its own send.
    expect(applies[0].traceId).toBe(applies[1].traceId);
    const upload = collector.spans.find((s) => s.service === 'tongban-gateway' && s.kind === KIND.server && s.traceId === applies[0].traceId);
    // (The route pattern as Nest hands it to express, the colon escaped.)
    expect(String(upload?.attributes['http.route']).replace('\\', '')).toBe('/v1/events:batch');
  });
});
