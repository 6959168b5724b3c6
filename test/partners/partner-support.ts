import { Kafka, KafkaMessage } from 'kafkajs';
import { headerText, HEADERS } from '@tongban/kafka';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';

/** Reads a topic from the beginning until `count` messages with event id `eventId` arrived; returns their raw messages. */
export async function readRaw(kafka: Kafka, topic: string, eventId: string, count = 1, timeoutMs = 30_000): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `test-read-${uniqueId()}` });
  const found: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (headerText(message.headers as Record<string, unknown>, HEADERS.eventId) === eventId) found.push(message);
      },
    });
    await waitFor(async () => (found.length >= count ? true : undefined), `${count} message(s) of ${eventId} on ${topic}`, timeoutMs);
    return found;
  } finally {
    await consumer.disconnect();
  }
}

import { createServer, IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDeliveryApp, DeliveryApp } from '../../services/delivery/src/app';
import { readDeliveryConfig } from '../../services/delivery/src/delivery.config';
import { dropDatabase } from '@tongban/persistence';
import { DeliveredEvent, rawBody, WebhookReceiver } from '@tongban/partner-client';
import { MYSQL, TestStack, testLogger } from '../support/test-stack';
import { OpsTestStack, startOpsStack } from '../ops/ops-support';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** The delivery service of a test, started by startDelivery. */
export interface TestDelivery {
  app: DeliveryApp;
  url: string;
  stop(): Promise<void>;
}

/** The ops stack with a delivery service on it; stop delivery first, then the stack. */
export async function startOpsWithDelivery(): Promise<{ t: OpsTestStack; delivery: TestDelivery }> {
  const t = await startOpsStack();
  try {
    return { t, delivery: await startDelivery(t.stack) };
  } catch (e) {
    await t.stop();
    throw e;
  }
}

/** The delivery service in this process, reading the stack's inboxes and its gateway's API keys. */
export async function startDelivery(stack: TestStack, env: Record<string, string> = {}): Promise<TestDelivery> {
  const database = `tb_${stack.id}_delivery`;
  const app = await createDeliveryApp(
    readDeliveryConfig({
      ...stack.env,
      TONGBAN_DELIVERY_DATABASE: database,
      TONGBAN_DELIVERY_KEYS_DATABASE: stack.databases.gateway,
      TONGBAN_DELIVERY_GROUP: `${stack.namespace}.delivery`,
      TONGBAN_ADMIN_TOKEN: ADMIN_TOKEN,
      TONGBAN_DELIVERY_SWEEP_INTERVAL_MS: '500',
      // The test receivers listen on loopback: allowed only in the development profile, and only when said.
      TONGBAN_DELIVERY_ALLOW_LOOPBACK: 'true',
      ...env,
    }),
    testLogger('delivery'),
  );
  const url = await app.start(0, '127.0.0.1');
  return {
    app,
    url,
    async stop() {
      await app.close();
      await dropDatabase(MYSQL, database);
    },
  };
}

export interface Reception {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/**
 * A partner's endpoint for tests: the reference receiver behind a plain HTTP server whose answers
 * the test steers (`behave` decides per request: answer normally, fail with a status, or be slow).
 */
export async function startTestReceiver(secret: () => string) {
  const receptions: Reception[] = [];
  const applied: DeliveredEvent[] = [];
  const state = {
    behave: (_eventId: string, _n: number): { fail?: number; delayMs?: number } => ({}),
  };
  const seen = new Map<string, number>();
  let receiver: WebhookReceiver | undefined;
  const server = createServer(async (req, res) => {
    const body = await rawBody(req);
    receiver ??= new WebhookReceiver({ secret: secret(), onEvent: (e) => void applied.push(e) });
    const eventId = String(req.headers['tongban-event-id'] ?? '');
    const n = (seen.get(eventId) ?? 0) + 1;
    seen.set(eventId, n);
    const how = state.behave(eventId, n);
    let status: number;
    let answer: unknown;
    if (how.fail) {
      status = how.fail;
      answer = { error: 'test failure' };
    } else {
      const a = await receiver.handle(req.headers, body);
      status = a.status;
      answer = a.body;
      if (how.delayMs) await new Promise((r) => setTimeout(r, how.delayMs));
    }
    receptions.push({ at: Date.now(), headers: req.headers, body: body.toString('utf8'), status });
    if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    receptions,
    applied,
    state,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
