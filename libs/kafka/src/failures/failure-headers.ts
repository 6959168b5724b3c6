import { TongbanError } from '@tongban/errors';
import { topics, TopicStage } from '@tongban/regions';
import type { RetryPolicy } from './retry-policy';
import { ARRIVAL_HEADERS, arrivalHeaders, arrivalOf } from './arrival';

/** Failure facts that travel with a retried or dead-lettered message, as Kafka headers. */
export const FAILURE_HEADERS = {
  originalTopic: 'tongban-original-topic',
  originalPartition: 'tongban-original-partition',
  originalOffset: 'tongban-original-offset',
  originalKey: 'tongban-original-key',
  errorClass: 'tongban-error-class',
  errorCode: 'tongban-error-code',
  errorMessage: 'tongban-error-message',
  attempts: 'tongban-attempts',
  firstFailureAt: 'tongban-first-failure-at',
  lastFailureAt: 'tongban-last-failure-at',
  consumerGroup: 'tongban-consumer-group',
  /** The topic whose delivery failed last (the inbox, or `.retry.<n>`). */
  failedTopic: 'tongban-failed-topic',
  /** On a retry topic: its level (1 for `.retry.1`) and when the message is due again (ISO time). */
  retryLevel: 'tongban-retry-level',
  retryDueAt: 'tongban-retry-due-at',
  /** `retriable` or `permanent`: why the message went where it went. */
  failureKind: 'tongban-failure-kind',
  /** `link` when the other province wrote the record and MirrorMaker 2 carried it here, else `local` or `unknown`. */
  arrivedVia: ARRIVAL_HEADERS.via,
  /** The province that wrote the record, when known. */
  arrivedFrom: ARRIVAL_HEADERS.from,
} as const;

/**
 * The same facts on a dead letter under Kafka Connect's names (`errors.deadletterqueue.context.headers.enable`),
 * so that tools which inspect or redrive Connect dead-letter topics read tongban's as well.
 */
export const CONNECT_ERROR_HEADERS = {
  topic: '__connect.errors.topic',
  partition: '__connect.errors.partition',
  offset: '__connect.errors.offset',
  exceptionClass: '__connect.errors.exception.class.name',
  exceptionMessage: '__connect.errors.exception.message',
  exceptionStacktrace: '__connect.errors.exception.stacktrace',
} as const;

/**
 * Set on a dead letter re-published to its original topic: the reference (`originRef`) of the
 * message it replays. The consumer lets such a message through the hold its original left.
 */
export const REPLAY_OF_HEADER = 'tongban-replay-of';

export interface MessageOrigin {
  topic: string;
  partition: number;
  offset: string;
}

/** A stable name for a message: where it was first written. `<topic>/<partition>/<offset>`. */
export function originRef(o: MessageOrigin): string {
  return `${o.topic}/${o.partition}/${o.offset}`;
}

export function parseOriginRef(ref: string): MessageOrigin | undefined {
  const m = /^(.+)\/(\d+)\/(\d+)$/.exec(ref);
  return m ? { topic: m[1], partition: Number(m[2]), offset: m[3] } : undefined;
}

/** Which stage of the failure path a topic is: the inbox itself (level 0), a retry topic, or the dead-letter topic. */
export function classifyTopic(topic: string): TopicStage {
  return topics.stage(topic);
}

/** The retry topics and the dead-letter topic of an inbox, in the order a failing message visits them. */
export function failureTopics(mainTopic: string, policy: Pick<RetryPolicy, 'delaysMs'>): string[] {
  return [...policy.delaysMs.map((_, i) => topics.retry(mainTopic, i + 1)), topics.dlq(mainTopic)];
}

export type NextStep = { kind: 'retry'; level: number; topic: string; dueAt: Date } | { kind: 'dead-letter'; topic: string };

/** Where a message goes after failing at `level` (0 = the inbox): the next retry topic, or the dead-letter topic. */
export function nextStep(policy: Pick<RetryPolicy, 'delaysMs'>, mainTopic: string, level: number, retriable: boolean, now: Date): NextStep {
  if (retriable && level < policy.delaysMs.length) {
    const next = level + 1;
    return { kind: 'retry', level: next, topic: topics.retry(mainTopic, next), dueAt: new Date(now.getTime() + policy.delaysMs[level]) };
  }
  return { kind: 'dead-letter', topic: topics.dlq(mainTopic) };
}

/** What earlier failures of a message left in its headers (nothing for a first delivery). */
export interface PriorFailure {
  origin: MessageOrigin;
  attempts: number;
  firstFailureAt: Date;
  retryLevel: number;
  dueAt?: Date;
}

export function readPriorFailure(headers: Record<string, string>): PriorFailure | undefined {
  const topic = headers[FAILURE_HEADERS.originalTopic];
  const partition = Number(headers[FAILURE_HEADERS.originalPartition]);
  const offset = headers[FAILURE_HEADERS.originalOffset];
  if (!topic || !Number.isInteger(partition) || !/^\d+$/.test(offset ?? '')) return undefined;
  const first = new Date(headers[FAILURE_HEADERS.firstFailureAt] ?? '');
  const due = new Date(headers[FAILURE_HEADERS.retryDueAt] ?? '');
  return {
    origin: { topic, partition, offset },
    attempts: Number(headers[FAILURE_HEADERS.attempts]) || 0,
    firstFailureAt: Number.isNaN(first.getTime()) ? new Date() : first,
    retryLevel: Number(headers[FAILURE_HEADERS.retryLevel]) || 0,
    dueAt: Number.isNaN(due.getTime()) ? undefined : due,
  };
}

const FAILURE_HEADER_NAMES = new Set<string>([...Object.values(FAILURE_HEADERS), ...Object.values(CONNECT_ERROR_HEADERS)]);

/** The message's own headers (event id, type, regions, …) without the failure facts. */
export function withoutFailureHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!FAILURE_HEADER_NAMES.has(name) && name !== REPLAY_OF_HEADER) out[name] = value;
  return out;
}

export interface FailureFacts {
  origin: MessageOrigin;
  key: string;
  error: unknown;
  retriable: boolean;
  attempts: number;
  firstFailureAt: Date;
  lastFailureAt: Date;
  consumerGroup: string;
  failedTopic: string;
  step: NextStep;
}

/** The error's class: its `name`, or its constructor's when the name was left as plain `Error` (TypeORM's errors). */
export function errorClassOf(error: unknown): string {
  if (!(error instanceof Error)) return typeof error === 'object' && error ? (error.constructor?.name ?? 'Object') : typeof error;
  return error.name && error.name !== 'Error' ? error.name : (error.constructor?.name ?? 'Error');
}

/** The code a dead letter carries: the flat one stored dead letters and operators' filters already use. */
export function errorCodeOf(error: unknown): string {
  return error instanceof TongbanError ? error.legacyCode : 'UNEXPECTED';
}

/** The headers of a retry or dead-letter copy: the message's own headers plus the facts of its failure. */
export function failureHeaders(own: Record<string, string>, f: FailureFacts): Record<string, string> {
  const err = f.error as Error | undefined;
  const message = err instanceof Error ? err.message : String(f.error);
  const headers: Record<string, string> = {
    ...withoutFailureHeaders(own),
    [FAILURE_HEADERS.originalTopic]: f.origin.topic,
    [FAILURE_HEADERS.originalPartition]: String(f.origin.partition),
    [FAILURE_HEADERS.originalOffset]: f.origin.offset,
    [FAILURE_HEADERS.originalKey]: f.key,
    [FAILURE_HEADERS.errorClass]: errorClassOf(f.error),
    [FAILURE_HEADERS.errorCode]: errorCodeOf(f.error),
    [FAILURE_HEADERS.errorMessage]: message.slice(0, 2000),
    [FAILURE_HEADERS.attempts]: String(f.attempts),
    [FAILURE_HEADERS.firstFailureAt]: f.firstFailureAt.toISOString(),
    [FAILURE_HEADERS.lastFailureAt]: f.lastFailureAt.toISOString(),
    [FAILURE_HEADERS.consumerGroup]: f.consumerGroup,
    [FAILURE_HEADERS.failedTopic]: f.failedTopic,
    [FAILURE_HEADERS.failureKind]: f.retriable ? 'retriable' : 'permanent',
    // A record from the link that fails here (an id this province's registry cannot resolve, bytes that do not decode) is told apart.
    ...arrivalHeaders(arrivalOf(f.origin.topic, own)),
  };
  if (f.step.kind === 'retry') {
    headers[FAILURE_HEADERS.retryLevel] = String(f.step.level);
    headers[FAILURE_HEADERS.retryDueAt] = f.step.dueAt.toISOString();
  } else {
    headers[CONNECT_ERROR_HEADERS.topic] = f.origin.topic;
    headers[CONNECT_ERROR_HEADERS.partition] = String(f.origin.partition);
    headers[CONNECT_ERROR_HEADERS.offset] = f.origin.offset;
    headers[CONNECT_ERROR_HEADERS.exceptionClass] = errorClassOf(f.error);
    headers[CONNECT_ERROR_HEADERS.exceptionMessage] = message.slice(0, 2000);
    if (err instanceof Error && err.stack) headers[CONNECT_ERROR_HEADERS.exceptionStacktrace] = err.stack.slice(0, 4000);
  }
  return headers;
}

/**
 * The message that replays a dead letter: its original bytes and key, to its original topic, with its
 * own headers and `tongban-replay-of` naming the original. What the ops service publishes on a replay.
 */
export function replayMessage(deadLetter: { key: Buffer | string | null; value: Buffer | null; headers: Record<string, string> }): {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | null;
  headers: Record<string, string>;
} {
  const prior = readPriorFailure(deadLetter.headers);
  if (!prior) throw new TongbanError('KAFKA.NOT_A_DEAD_LETTER', 'the message carries no tongban-original-* headers');
  return {
    topic: prior.origin.topic,
    key: deadLetter.key,
    value: deadLetter.value,
    headers: { ...withoutFailureHeaders(deadLetter.headers), [REPLAY_OF_HEADER]: originRef(prior.origin) },
  };
}
