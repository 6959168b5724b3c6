import { topics } from '@tongban/regions';

/** Where a dead letter stands: parked until an operator replays or discards it. */
export type DeadLetterState = 'parked' | 'replayed' | 'discarded';
export const DEAD_LETTER_STATES: readonly DeadLetterState[] = ['parked', 'replayed', 'discarded'];

/** Whether the addressed node had applied the event before a replay: asked, not guessed. */
export type AppliedAnswer = 'yes' | 'no' | 'unknown';

/** Headers a replay adds, so the node's logs and a second dead letter can be traced back. */
export const REPLAY_HEADERS = {
  replayOf: 'tongban-replay-of',
  replayedBy: 'tongban-replayed-by',
  editedBy: 'tongban-edited-by',
} as const;

/** The filters of a list or a bulk replay. */
export interface DeadLetterFilter {
  state?: DeadLetterState;
  region?: string;
  topic?: string;
  workflow?: string;
  eventType?: string;
  errorClass?: string;
  errorCode?: string;
  caseId?: string;
  eventId?: string;
  correlationId?: string;
  /** Free text found anywhere in the failure reason (matched literally). */
  q?: string;
  /** The keyed hash of a person's ID number (never the number): letters whose event names that person. */
  personHash?: string;
  from?: Date;
  to?: Date;
}

export const FILTER_FIELDS = [
  'state',
  'region',
  'topic',
  'workflow',
  'eventType',
  'errorClass',
  'errorCode',
  'caseId',
  'eventId',
  'correlationId',
  'q',
  'from',
  'to',
] as const;

/** A message's place: `<topic>/<partition>/<offset>`. */
export function deadLetterRef(topic: string, partition: number, offset: string | number): string {
  return `${topic}/${partition}/${offset}`;
}

/**
 * What a replay carries in `tongban-replay-of`: where the original message was first written (the
 * consumer matches it to the hold that message left), or the dead letter's own place when the
 * transport did not say.
 */
export function replayRefOf(row: {
  originalTopic: string;
  originalPartition: number | null;
  originalOffset: string | null;
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
}): string {
  return row.originalPartition !== null && row.originalOffset !== null
    ? deadLetterRef(row.originalTopic, row.originalPartition, row.originalOffset)
    : deadLetterRef(row.dlqTopic, row.dlqPartition, row.dlqOffset);
}

/** `<namespace>.<node>.inbox` (or `.local`) → the node's division code. */
export function regionOfTopic(topic: string): string | undefined {
  return topics.parse(topic)?.node;
}

/**
 * The workflows by the names the nodes give them (their cases, `GET /v1/cases?workflow=`, and their
 * `tongban_events_dead_lettered_total{workflow}`): what a dead letter stores and the `workflow` filter takes.
 */
export const WORKFLOWS = ['disability-subsidy', 'marriage-registration', 'funeral-transfer', 'economic-check'] as const;

/**
 * A contract namespace's workflow (`cn.tongban.<namespace>.v1`) as the nodes name it. The common events
 * (a rejection, a breached deadline) belong to whichever workflow their case follows: no name of their own.
 */
export const WORKFLOW_OF_NAMESPACE: Readonly<Record<string, (typeof WORKFLOWS)[number] | null>> = {
  subsidy: 'disability-subsidy',
  marriage: 'marriage-registration',
  funeral: 'funeral-transfer',
  economiccheck: 'economic-check',
  common: null,
};

const NAMESPACE_OF: Array<[RegExp, string]> = [
  [/^Subsidy/, 'subsidy'],
  [/^(Marriage|Marital|Divorce)/, 'marriage'],
  [/^(Death|Remains|Cremation|Ashes|Funeral)/, 'funeral'],
  [/^EconomicCheck/, 'economiccheck'],
];

/** The workflow of an event type, for events whose schema is not at hand (undecodable bytes). */
export function workflowOfEventType(eventType: string | undefined): string | undefined {
  if (!eventType) return undefined;
  const namespace = NAMESPACE_OF.find(([re]) => re.test(eventType))?.[1];
  return namespace ? (WORKFLOW_OF_NAMESPACE[namespace] ?? undefined) : undefined;
}
