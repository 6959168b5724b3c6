import { DecodeFailure } from '@tongban/avro';
import { TongbanError } from '@tongban/errors';
import { Delivery } from '../server/delivery';
import { WorkInterruptedError } from '../server/transport.errors';
import { FailureDecision, FailureRouter, TryResult } from './failure-router';
import { CONNECT_ERROR_HEADERS, FAILURE_HEADERS, NextStep } from './failure-headers';

const INBOX = 'tongban.500000.inbox';
const NOW = new Date('2026-11-25T08:00:00.000Z');

const delivery = (o: Partial<Delivery> = {}): Delivery => ({
  from: `${INBOX}/2/41`,
  fromTopic: INBOX,
  mainTopic: INBOX,
  level: 0,
  origin: { topic: INBOX, partition: 2, offset: '41' },
  ref: `${INBOX}/2/41`,
  key: 'SUB-1',
  rawKey: Buffer.from('SUB-1'),
  value: Buffer.from([0, 0, 0, 0, 7, 1]),
  headers: { 'tongban-event-id': 'e-1', 'tongban-event-type': 'SubsidyApplicationSubmitted' },
  eventId: 'e-1',
  ...o,
});

function setup(o: { closing?: AbortController; holds?: boolean } = {}) {
  const calls: string[] = [];
  const sent: { topic: string; key: unknown; value: unknown; headers: Record<string, string> }[] = [];
  const logged: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const closing = o.closing ?? new AbortController();
  const router = new FailureRouter({
    policy: { inPlaceAttempts: 3, inPlaceBackoffMs: 200, delaysMs: [5_000, 60_000, 600_000] },
    pacer: {
      backOffInPlace: async (attempt) => void calls.push(`back off ${attempt}`),
      waitForDependency: async (waits) => void calls.push(`wait ${waits}`),
      untilDone: (_what, fn) => fn(),
    },
    publisher: {
      send: async (topic, key, value, headers) => {
        calls.push(`send ${topic}`);
        sent.push({ topic, key, value, headers });
      },
    },
    holds: o.holds
      ? {
          block: async (d, copy) => void calls.push(`block ${d.key} for ${copy.step.topic}`),
          forwarded: async (d, step: NextStep) => void calls.push(`forwarded ${d.key} ${step.kind}`),
        }
      : undefined,
    groupId: 'tongban.region-node.500000',
    logger: { event: (level, message, fields = {}) => void logged.push({ level, message, fields }) },
    closing: closing.signal,
    now: () => NOW,
  });
  return { router, calls, sent, logged, closing };
}

/** Work that throws the given errors in turn, then succeeds. */
const failing = (...errors: unknown[]) => {
  const left = [...errors];
  return jest.fn(async () => {
    if (left.length) throw left.shift();
  });
};

const down = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock'), { code: 'ER_LOCK_DEADLOCK' });

describe('deciding what follows a failed try', () => {
  it.each<[string, number, FailureDecision, unknown]>([
    ['a dependency down', 1, 'wait-for-dependency', down()],
    ['a dependency down on the last try', 3, 'wait-for-dependency', down()],
    ['a transient error on the first try', 1, 'retry-in-place', deadlock()],
    ['a transient error on the second try', 2, 'retry-in-place', deadlock()],
    ['a transient error on the last try', 3, 'send-on', deadlock()],
    ['a TypeError', 1, 'send-on', new TypeError("Cannot read properties of undefined (reading 'caseId')")],
    ['a ReferenceError', 1, 'send-on', new ReferenceError('x is not defined')],
    ['a SyntaxError', 1, 'send-on', new SyntaxError('Unexpected end of JSON input')],
    ['a RangeError', 1, 'send-on', new RangeError('Invalid time value')],
    ['a permanent TongbanError', 1, 'send-on', new TongbanError('ILLEGAL_TRANSITION', 'no')],
    ['a decode failure', 1, 'send-on', new DecodeFailure('WIRE_FORMAT_INVALID', 'not framed')],
  ])('%s, try %i: %s', (_what, attempt, decision, error) => {
    expect(setup().router.decide(error, attempt)).toBe(decision);
  });

  it('tries nothing again in place once the transport closes', () => {
    const closing = new AbortController();
    closing.abort();
    expect(setup({ closing }).router.decide(deadlock(), 1)).toBe('send-on');
  });
});

describe('trying a delivery in place', () => {
  it.each<[string, unknown[], TryResult, string[]]>([
    ['succeeds at once', [], { ok: true }, []],
    ['succeeds on the second try after a transient error', [deadlock()], { ok: true }, ['back off 1']],
    [
      'gives up after three transient errors',
      [deadlock(), deadlock(), deadlock()],
      { ok: false, error: expect.any(Error), tries: 3 },
      ['back off 1', 'back off 2'],
    ],
    ['gives up on a TypeError after one try', [new TypeError('x is undefined')], { ok: false, error: expect.any(TypeError), tries: 1 }, []],
    ['waits for a dependency without spending tries', [down(), down(), deadlock()], { ok: true }, ['wait 1', 'wait 2', 'back off 1']],
  ])('%s', async (_what, errors, result, calls) => {
    const s = setup();
    await expect(s.router.tryInPlace(delivery(), failing(...errors))).resolves.toEqual(result);
    expect(s.calls).toEqual(calls);
  });

  it('numbers each try over every retry topic', async () => {
    const work = failing(deadlock());
    await setup().router.tryInPlace(delivery({ prior: { origin: delivery().origin, attempts: 3, firstFailureAt: NOW, retryLevel: 1 } }), work);
    expect(work.mock.calls).toEqual([[4], [5]]);
  });

  it('heartbeats while it waits for a dependency', async () => {
    const heartbeat = jest.fn(async () => undefined);
    await setup().router.tryInPlace(delivery(), failing(down(), down()), heartbeat);
    expect(heartbeat).toHaveBeenCalledTimes(2);
  });

  it('stops waiting for a dependency when the transport closes, so the offset stays uncommitted', async () => {
    const closing = new AbortController();
    closing.abort();
    await expect(setup({ closing }).router.tryInPlace(delivery(), failing(down()))).rejects.toBeInstanceOf(WorkInterruptedError);
  });
});

describe('sending a failed message on', () => {
  it('sends a TypeError straight to the dead letter, with its stack in the headers', async () => {
    const s = setup();
    const bug = new TypeError("Cannot read properties of undefined (reading 'caseId')");
    const result = await s.router.tryInPlace(delivery(), failing(bug));
    expect(result).toEqual({ ok: false, error: bug, tries: 1 });
    const step = await s.router.sendOn(delivery(), bug, 1);
    expect(step).toEqual({ kind: 'dead-letter', topic: `${INBOX}.dlq` });
    expect(s.sent).toHaveLength(1);
    const { topic, key, value, headers } = s.sent[0];
    expect({ topic, key, value }).toEqual({ topic: `${INBOX}.dlq`, key: Buffer.from('SUB-1'), value: delivery().value });
    expect(headers).toMatchObject({
      [FAILURE_HEADERS.failureKind]: 'permanent',
      [FAILURE_HEADERS.errorClass]: 'TypeError',
      [FAILURE_HEADERS.errorCode]: 'UNEXPECTED',
      [FAILURE_HEADERS.attempts]: '1',
      [CONNECT_ERROR_HEADERS.exceptionClass]: 'TypeError',
    });
    expect(headers[CONNECT_ERROR_HEADERS.exceptionStacktrace]).toBe(bug.stack);
    expect(headers).not.toHaveProperty(FAILURE_HEADERS.retryLevel);
    expect(s.logged.at(-1)).toMatchObject({ level: 'error', message: 'event dead-lettered', fields: { errorKind: 'programming' } });
  });

  it('still sends a transient error to the first retry topic, due after its delay', async () => {
    const s = setup();
    const error = deadlock();
    const step = await s.router.sendOn(delivery(), error, 3);
    expect(step).toEqual({ kind: 'retry', level: 1, topic: `${INBOX}.retry.1`, dueAt: new Date('2026-11-25T08:00:05.000Z') });
    expect(s.sent.map((m) => m.topic)).toEqual([`${INBOX}.retry.1`]);
    expect(s.sent[0].headers).toMatchObject({
      [FAILURE_HEADERS.failureKind]: 'retriable',
      [FAILURE_HEADERS.retryLevel]: '1',
      [FAILURE_HEADERS.retryDueAt]: '2026-11-25T08:00:05.000Z',
      [FAILURE_HEADERS.attempts]: '3',
    });
    expect(s.sent[0].headers).not.toHaveProperty(CONNECT_ERROR_HEADERS.exceptionStacktrace);
    expect(s.logged.at(-1)).toMatchObject({ level: 'warn', message: 'event failed, sent to a retry topic' });
  });

  const prior = (level: number) => ({
    origin: delivery().origin,
    attempts: 3 * (level + 1),
    firstFailureAt: new Date('2026-11-25T07:00:00.000Z'),
    retryLevel: level,
  });
  it.each<[string, string, Partial<Delivery>, unknown, string]>([
    ['a transient error on the inbox', `${INBOX}.retry.1`, {}, deadlock(), '3'],
    ['a transient error on .retry.1', `${INBOX}.retry.2`, { fromTopic: `${INBOX}.retry.1`, level: 1, prior: prior(1) }, deadlock(), '9'],
    ['a transient error on the last retry topic', `${INBOX}.dlq`, { fromTopic: `${INBOX}.retry.3`, level: 3, prior: prior(3) }, deadlock(), '15'],
    ['a RangeError on .retry.1', `${INBOX}.dlq`, { fromTopic: `${INBOX}.retry.1`, level: 1, prior: prior(1) }, new RangeError('Invalid time value'), '9'],
    ['a permanent TongbanError on the inbox', `${INBOX}.dlq`, {}, new TongbanError('ILLEGAL_TRANSITION', 'no'), '3'],
    ['a retriable TongbanError on the inbox', `${INBOX}.retry.1`, {}, new TongbanError('CASE_LOCKED', 'busy', true), '3'],
  ])('%s goes to %s', async (_what, topic, d, error, attempts) => {
    const s = setup();
    await s.router.sendOn(delivery(d), error, 3);
    expect(s.sent.map((m) => m.topic)).toEqual([topic]);
    expect(s.sent[0].headers[FAILURE_HEADERS.attempts]).toBe(attempts);
    expect(s.sent[0].headers[FAILURE_HEADERS.failedTopic]).toBe(d.fromTopic ?? INBOX);
    expect(s.sent[0].headers[FAILURE_HEADERS.firstFailureAt]).toBe((d.prior?.firstFailureAt ?? NOW).toISOString());
  });

  it.each([
    ['a retry topic', deadlock(), [`block SUB-1 for ${INBOX}.retry.1`, `send ${INBOX}.retry.1`, 'forwarded SUB-1 retry']],
    ['the dead-letter topic', new TypeError('x is undefined'), [`block SUB-1 for ${INBOX}.dlq`, `send ${INBOX}.dlq`, 'forwarded SUB-1 dead-letter']],
  ])('with holds, blocks the case before the copy to %s is written and marks it after', async (_what, error, calls) => {
    const s = setup({ holds: true });
    await s.router.sendOn(delivery(), error, 1);
    expect(s.calls).toEqual(calls);
  });
});
