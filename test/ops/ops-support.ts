import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { AvroCodec, SchemaCatalogue, SchemaRegistryClient } from '@tongban/avro';
import { TongbanError } from '@tongban/errors';
import { DeadLetterPublisher, HEADERS } from '@tongban/kafka';
import { dropDatabase } from '@tongban/persistence';
import { createOpsApp, OpsApp } from '../../services/ops/src/app';
import { readOpsConfig } from '../../services/ops/src/ops.config';
import { ADMIN_TOKEN, startDelivery } from '../partners/partner-support';
import { example } from '../support/examples';
import { answerProblems } from '../support/json-schema';
import { MYSQL, startTestStack, testLogger, TestStack } from '../support/test-stack';

/** A JSON answer read loosely, member by member. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

export const TOKENS = { admin: 'admin-token-0001', operator: 'operator-token-01', viewer: 'viewer-token-0001' };
export const OPERATORS = `alice:${TOKENS.admin}:admin,olga:${TOKENS.operator}:operator,victor:${TOKENS.viewer}:viewer`;

export interface OpsTestStack {
  stack: TestStack;
  ops: OpsApp;
  url: string;
  codec: AvroCodec;
  opsDatabase: string;
  env: Record<string, string>;
  /** The delivery service ops asks for webhook deliveries, when the stack was started with one. */
  delivery?: Awaited<ReturnType<typeof startDelivery>>;
  /** Parks a message on `<inbox>.dlq` the way the transport does: original bytes, reason in headers. */
  park(region: string, value: Buffer, error: Error, headers?: Record<string, string>, key?: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A test stack (registry, two nodes, gateway, relay) and the ops service on a random port; with `delivery` (its
 * settings), a delivery service too (admin token ADMIN_TOKEN), which ops asks for webhook deliveries.
 */
export async function startOpsStack(
  stackEnv: Record<string, string> = {},
  o: { delivery?: Record<string, string>; opsEnv?: Record<string, string> } = {},
): Promise<OpsTestStack> {
  const stack = await startTestStack({ env: stackEnv });
  let delivery: OpsTestStack['delivery'];
  try {
    if (o.delivery) delivery = await startDelivery(stack, o.delivery);
  } catch (e) {
    await stack.stop();
    throw e;
  }
  const opsDatabase = `tb_${stack.id}_ops`;
  const nodeUrls = [...stack.nodes.entries()].map(([region, node]) => `${region}=http://127.0.0.1:${(node.app.getHttpServer().address() as AddressInfo).port}`);
  const env = {
    ...stack.env,
    TONGBAN_OPS_DATABASE: opsDatabase,
    TONGBAN_NODE_URLS: nodeUrls.join(','),
    TONGBAN_OPERATORS: OPERATORS,
    TONGBAN_OPS_REPLAY_OUTCOME_WAIT_MS: '30000',
    TONGBAN_AUDIT_DATABASES: [stack.databases.gateway, ...Object.values(stack.databases.nodes)].join(','),
    TONGBAN_OPS_OUTBOX_DATABASES: [stack.databases.gateway, ...Object.values(stack.databases.nodes)].join(','),
    // This run's delivery service, or none: never whatever else listens on the development port.
    ...(delivery ? { TONGBAN_OPS_DELIVERY_URL: delivery.url, TONGBAN_OPS_DELIVERY_TOKEN: ADMIN_TOKEN } : { TONGBAN_OPS_DELIVERY_URL: 'off' }),
    ...(o.opsEnv ?? {}),
  };
  let ops: OpsApp;
  try {
    ops = await createOpsApp(readOpsConfig(env), testLogger('ops'));
  } catch (e) {
    await delivery?.stop();
    await stack.stop();
    throw e;
  }
  const url = await ops.start(0, '127.0.0.1');
  const codec = new AvroCodec(
    new SchemaCatalogue(join(__dirname, '../../contracts/avro')),
    new SchemaRegistryClient(stack.registryUrl, { auth: stack.registryAuth }),
  );
  const publisher = new DeadLetterPublisher(stack.kafka, `${stack.namespace}.region-node.test`);
  await publisher.connect();
  return {
    stack,
    ops,
    url,
    codec,
    opsDatabase,
    env,
    delivery,
    async park(region, value, error, headers = {}, key = 'no-key') {
      await publisher.publish(
        { topic: stack.inbox(region), partition: 0, offset: String(Math.floor(Math.random() * 1e6)), key: Buffer.from(key), value, headers },
        error,
        1,
        new Date(),
      );
    },
    async stop() {
      await publisher.disconnect().catch(() => undefined);
      await ops.close();
      await delivery?.stop();
      await stack.stop();
      await dropDatabase(MYSQL, opsDatabase);
    },
  };
}

/** A whole event (envelope and payload) from a contract example, as a node would decode it. */
export function exampleEvent(eventType: string, caseSuffix: string, change: (payload: Record<string, unknown>) => void = () => undefined) {
  const body = example(eventType, caseSuffix);
  change(body.payload);
  return {
    envelope: {
      eventId: randomUUID(),
      eventType,
      caseId: body.caseId,
      sourceRegion: body.sourceRegion,
      targetRegion: body.targetRegion,
      sourceOffice: body.sourceOffice ?? null,
      occurredAt: body.occurredAt,
      correlationId: randomUUID(),
      causationId: null,
      producer: 'test',
      schemaVersion: 1,
    },
    ...body.payload,
  } as Record<string, unknown> & { envelope: { eventId: string; eventType: string; caseId: string; targetRegion: string; sourceRegion: string } };
}

/** Encodes an event and parks it as if the node had failed it for a reason since fixed. */
export async function parkEvent(
  t: OpsTestStack,
  region: string,
  event: ReturnType<typeof exampleEvent>,
  error: Error = new TongbanError('STORE_UNAVAILABLE', 'the case store did not answer'),
) {
  const bytes = await t.codec.encode(event.envelope.eventType, event);
  await t.park(region, bytes, error, eventHeaders(event), event.envelope.caseId);
}

export function eventHeaders(event: ReturnType<typeof exampleEvent>): Record<string, string> {
  return {
    [HEADERS.eventId]: event.envelope.eventId,
    [HEADERS.eventType]: event.envelope.eventType,
    [HEADERS.sourceRegion]: event.envelope.sourceRegion,
    [HEADERS.targetRegion]: event.envelope.targetRegion,
  };
}

export async function api(t: { url: string }, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { text };
  }
  return { status: res.status, body: json };
}

const documents = new Map<string, Promise<Json>>();

/**
 * What is wrong with an answer of ops (as `api` gives it) against the schema ops' own `/openapi.json` gives
 * `METHOD route` (the document's path, `/v1/dlq/{id}`) under the answer's status; empty when it fits.
 */
export async function undocumentedIn(t: { url: string }, method: string, route: string, answer: { status: number; body: unknown }): Promise<string[]> {
  if (!documents.has(t.url))
    documents.set(
      t.url,
      fetch(`${t.url}/openapi.json`).then((r) => r.json() as Promise<Json>),
    );
  return answerProblems(await documents.get(t.url)!, method, route, answer.status, answer.body);
}

/** A random resident ID number with a correct check character (GB 11643). */
export function residentId(): string {
  const body = `510104${1950 + Math.floor(Math.random() * 50)}${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}${String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, d, i) => s + Number(d) * weights[i], 0);
  return body + '10X98765432'[sum % 11];
}
