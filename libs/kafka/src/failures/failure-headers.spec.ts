import { TongbanError } from '@tongban/errors';
import {
  classifyTopic,
  CONNECT_ERROR_HEADERS,
  FAILURE_HEADERS,
  failureHeaders,
  failureTopics,
  nextStep,
  originRef,
  parseOriginRef,
  readPriorFailure,
  REPLAY_OF_HEADER,
  replayMessage,
  withoutFailureHeaders,
} from './failure-headers';

const INBOX = 'tongban.500000.inbox';
const policy = { delaysMs: [5_000, 60_000, 600_000] };
const now = new Date('2026-11-25T08:00:00.000Z');

describe('the failure path of a topic', () => {
  it('lists the retry topics in order, then the dead-letter topic', () => {
    expect(failureTopics(INBOX, policy)).toEqual([`${INBOX}.retry.1`, `${INBOX}.retry.2`, `${INBOX}.retry.3`, `${INBOX}.dlq`]);
  });

  it.each([
    [INBOX, { mainTopic: INBOX, level: 0, deadLetter: false }],
    [`${INBOX}.retry.2`, { mainTopic: INBOX, level: 2, deadLetter: false }],
    [`${INBOX}.dlq`, { mainTopic: INBOX, level: 0, deadLetter: true }],
  ])('classifies %s', (topic, expected) => {
    expect(classifyTopic(topic)).toEqual(expected);
  });

  it('sends a retriable failure from the inbox to .retry.1, due after the first delay', () => {
    expect(nextStep(policy, INBOX, 0, true, now)).toEqual({
      kind: 'retry',
      level: 1,
      topic: `${INBOX}.retry.1`,
      dueAt: new Date('2026-11-25T08:00:05.000Z'),
    });
  });

  it('sends a retriable failure on .retry.2 to .retry.3 after ten minutes', () => {
    expect(nextStep(policy, INBOX, 2, true, now)).toMatchObject({ level: 3, dueAt: new Date('2026-11-25T08:10:00.000Z') });
  });

  it('dead-letters after the last retry topic', () => {
    expect(nextStep(policy, INBOX, 3, true, now)).toEqual({ kind: 'dead-letter', topic: `${INBOX}.dlq` });
  });

  it('dead-letters a permanent failure at once', () => {
    expect(nextStep(policy, INBOX, 0, false, now)).toEqual({ kind: 'dead-letter', topic: `${INBOX}.dlq` });
  });

  it('round-trips a message reference', () => {
    const ref = originRef({ topic: INBOX, partition: 3, offset: '1207' });
    expect(ref).toBe(`${INBOX}/3/1207`);
    expect(parseOriginRef(ref)).toEqual({ topic: INBOX, partition: 3, offset: '1207' });
    expect(parseOriginRef('nonsense')).toBeUndefined();
  });
});

describe('failure headers', () => {
  const own = { 'tongban-event-id': 'e-1', 'tongban-event-type': 'SubsidyApplicationSubmitted' };
  const facts = {
    origin: { topic: INBOX, partition: 2, offset: '41' },
    key: 'SUB-1',
    error: new TongbanError('DEPENDENCY_UNAVAILABLE', 'mysql is unavailable', true),
    retriable: true,
    attempts: 3,
    firstFailureAt: now,
    lastFailureAt: new Date('2026-11-25T08:00:01.000Z'),
    consumerGroup: 'tongban.region-node.500000',
    failedTopic: INBOX,
    step: nextStep(policy, INBOX, 0, true, now),
  };

  it('carries origin, error, attempts, times and group beside the message’s own headers', () => {
    expect(failureHeaders(own, facts)).toEqual({
      ...own,
      [FAILURE_HEADERS.originalTopic]: INBOX,
      [FAILURE_HEADERS.originalPartition]: '2',
      [FAILURE_HEADERS.originalOffset]: '41',
      [FAILURE_HEADERS.originalKey]: 'SUB-1',
      [FAILURE_HEADERS.errorClass]: 'TongbanError',
      [FAILURE_HEADERS.errorCode]: 'DEPENDENCY_UNAVAILABLE',
      [FAILURE_HEADERS.errorMessage]: 'mysql is unavailable',
      [FAILURE_HEADERS.attempts]: '3',
      [FAILURE_HEADERS.firstFailureAt]: '2026-11-25T08:00:00.000Z',
      [FAILURE_HEADERS.lastFailureAt]: '2026-11-25T08:00:01.000Z',
      [FAILURE_HEADERS.consumerGroup]: 'tongban.region-node.500000',
      [FAILURE_HEADERS.failedTopic]: INBOX,
      [FAILURE_HEADERS.failureKind]: 'retriable',
      [FAILURE_HEADERS.arrivedVia]: 'unknown',
      [FAILURE_HEADERS.retryLevel]: '1',
      [FAILURE_HEADERS.retryDueAt]: '2026-11-25T08:00:05.000Z',
    });
  });

  it('names the link as the origin of a dead letter the other province wrote, and drops that on a replay', () => {
    const sichuan = { ...own, 'tongban-source-region': '510104', ce_source: 'urn:tongban:division:510104' };
    const error = new TongbanError('SCHEMA_ID_UNKNOWN', 'schema id 51000007 is not in the registry');
    const h = failureHeaders(sichuan, { ...facts, error, retriable: false, step: nextStep(policy, INBOX, 0, false, now) });
    expect(h).toMatchObject({
      [FAILURE_HEADERS.arrivedVia]: 'link',
      [FAILURE_HEADERS.arrivedFrom]: '510000',
      [FAILURE_HEADERS.errorCode]: 'SCHEMA_ID_UNKNOWN',
    });
    expect(replayMessage({ key: 'SUB-1', value: null, headers: h }).headers).not.toHaveProperty(FAILURE_HEADERS.arrivedVia);
    const local = failureHeaders({ ...own, 'tongban-source-region': '500103' }, { ...facts, step: nextStep(policy, INBOX, 0, false, now) });
    expect(local).toMatchObject({ [FAILURE_HEADERS.arrivedVia]: 'local', [FAILURE_HEADERS.arrivedFrom]: '500000' });
  });

  it('names an error that is not a TongbanError UNEXPECTED and keeps its class', () => {
    const h = failureHeaders(own, { ...facts, error: new TypeError('x is undefined'), step: nextStep(policy, INBOX, 3, true, now) });
    expect(h[FAILURE_HEADERS.errorCode]).toBe('UNEXPECTED');
    expect(h[FAILURE_HEADERS.errorClass]).toBe('TypeError');
    expect(h).not.toHaveProperty(FAILURE_HEADERS.retryDueAt);
  });

  it('reads back what an earlier failure left, replacing old facts rather than stacking them', () => {
    const first = failureHeaders(own, facts);
    const prior = readPriorFailure(first)!;
    expect(prior).toEqual({ origin: facts.origin, attempts: 3, firstFailureAt: now, retryLevel: 1, dueAt: new Date('2026-11-25T08:00:05.000Z') });
    const second = failureHeaders(first, { ...facts, attempts: 4, step: nextStep(policy, INBOX, 1, true, now) });
    expect(second[FAILURE_HEADERS.attempts]).toBe('4');
    expect(second[FAILURE_HEADERS.retryLevel]).toBe('2');
    expect(withoutFailureHeaders(second)).toEqual(own);
  });

  it('gives a dead letter Kafka Connect’s error headers too, and a retry copy none of them', () => {
    const error = new TypeError('x is undefined');
    const dead = failureHeaders(own, { ...facts, error, step: nextStep(policy, INBOX, 3, true, now) });
    expect(dead).toMatchObject({
      [CONNECT_ERROR_HEADERS.topic]: INBOX,
      [CONNECT_ERROR_HEADERS.partition]: '2',
      [CONNECT_ERROR_HEADERS.offset]: '41',
      [CONNECT_ERROR_HEADERS.exceptionClass]: 'TypeError',
      [CONNECT_ERROR_HEADERS.exceptionMessage]: 'x is undefined',
    });
    expect(dead[CONNECT_ERROR_HEADERS.exceptionStacktrace]).toContain('TypeError: x is undefined');
    expect(Object.keys(failureHeaders(own, facts)).filter((h) => h.startsWith('__connect.errors.'))).toEqual([]);
    expect(withoutFailureHeaders(dead)).toEqual(own);
  });

  it('finds no prior failure on a first delivery', () => {
    expect(readPriorFailure(own)).toBeUndefined();
  });

  it('builds a replay of a dead letter: original topic, bytes and key, own headers and the reference it replays', () => {
    const value = Buffer.from([0, 0, 0, 0, 7, 1, 2]);
    const replay = replayMessage({ key: 'SUB-1', value, headers: failureHeaders(own, { ...facts, step: nextStep(policy, INBOX, 3, true, now) }) });
    expect(replay).toEqual({ topic: INBOX, key: 'SUB-1', value, headers: { ...own, [REPLAY_OF_HEADER]: `${INBOX}/2/41` } });
  });
});
