import type { WorkingCalendar } from '@tongban/calendar';
import type { DeadlinesConfig } from './deadlines.config';
import type { WorkflowRegistry } from './workflow-registry';

/** A workflow's name, as its definition declares it (the node's registry knows which exist). */
export type WorkflowName = string;

/**
 * The part a region plays in a case. A sender's roles are found by comparing the event's source division
 * (and office) with the divisions the case records for each role (see each workflow's `roleDivisions`).
 */
export type Role = 'accepting' | 'responsible' | 'payer' | 'funeral-service' | 'registry-office' | 'check-centre';

/** Instants arrive as Date (Avro timestamp-millis), epoch millis or ISO text. */
export type InstantInput = Date | number | string;

/** An event as the infrastructure hands it over: envelope facts plus the decoded payload. */
export interface IncomingEvent {
  eventType: string;
  eventId: string;
  caseId: string;
  sourceRegion: string;
  targetRegion: string;
  sourceOffice?: string | null;
  targetOffice?: string | null;
  occurredAt: InstantInput;
  payload: Record<string, unknown>;
}

export interface OpenTimer {
  startedAt: string;
  dueAt: string;
}

/** The stored state of one case, as the engine reads it. `data` is owned by the workflow's state machine. */
export interface CaseSnapshot {
  caseId: string;
  workflow: WorkflowName;
  state: string;
  /** Where the service happens: residence, place of death, registering office's district, requesting office. */
  acceptingDivision: string;
  acceptingOffice?: string | null;
  /** The hukou or data-holding region that decides (first party's hukou region for marriages). */
  responsibleDivision: string;
  /** ID numbers of the people the case is about: the key for death notices and duplicate checks. */
  personKeys: string[];
  /** Open timers by name: when each started and falls due (ISO instants). */
  timers: Record<string, OpenTimer>;
  data: Record<string, unknown>;
  openedAt: string;
  updatedAt: string;
}

/** A death this node knows of: registered here, or announced to it by a death notice. */
export interface KnownDeath {
  deathDate: string;
  /** The funeral case that registered the death (the case a second registration is pointed to). */
  sourceCaseId: string;
}

/**
 * Facts the engine asks the infrastructure for (a port: the database answers them). The rules applied to the
 * answers (which cases are open, which types block a new application) live in the domain, not in the adapters.
 * These are the lookups every workflow may use; a workflow that needs more declares them in its definition
 * (`WorkflowDefinition<S, L>`), and the context then carries `CaseLookups & L`.
 */
export interface CaseLookups {
  /** Every case this node holds for a person, optionally of one workflow. */
  casesOfPerson(idNumber: string, workflow?: WorkflowName): Promise<CaseSnapshot[]> | CaseSnapshot[];
  /** The death of a person this node knows of, if any. */
  deathOf?(idNumber: string): Promise<KnownDeath | undefined> | KnownDeath | undefined;
}

/** A current spouse: who, since when, and the marriage case that joined them. */
export interface KnownSpouse {
  idNumber: string;
  name: string;
  hukouDivision: string;
  since: string;
  caseId: string;
}

/** What a workflow's transitions see: the clock, the calendar, the deadlines and the lookups it asked for. */
export interface WorkflowContext<L extends object = object> {
  calendar: WorkingCalendar;
  now: Date;
  lookups: CaseLookups & L;
  deadlines?: Partial<DeadlinesConfig>;
}

/** What `decide` is handed: the node's workflows and what they see. */
export interface DecideContext<L extends object = object> extends WorkflowContext<L> {
  workflows: WorkflowRegistry<L>;
}

export interface TimerStart {
  /** Stable per case, e.g. `subsidy.acknowledge`; starting a timer of the same name replaces it. */
  name: string;
  dueAt: Date;
  /** The division whose node runs the timer: only that node schedules it and acts when it is due. */
  ownerDivision: string;
  /** Roles to alert when it breaches. */
  escalateTo: Role[];
  /** The division that has to act before it is due. */
  mustActDivision: string;
}

export interface TimerChanges {
  start: TimerStart[];
  cancel: string[];
}

/**
 * An event the engine wants published. Only the node serving `sourceRegion` publishes it, and that node also
 * applies it to its own copy of the case through `decide`; every other node drops it (it will receive the
 * published one). `dedupeKey` is stable for the same cause, so a re-run produces the same event id.
 */
export interface FollowUpEvent {
  eventType: string;
  caseId: string;
  sourceRegion: string;
  targetRegion: string;
  sourceOffice?: string | null;
  /** The service office addressed (CQ-HTZ) when the target division is the accepting side of an office's case. */
  targetOffice?: string | null;
  occurredAt: Date;
  causationId?: string;
  dedupeKey: string;
  payload: Record<string, unknown>;
}

export interface CaseUpdates {
  acceptingDivision?: string;
  acceptingOffice?: string | null;
  responsibleDivision?: string;
  personKeys?: string[];
  /** The complete new `data` (not a patch). */
  data?: Record<string, unknown>;
  /** When the case began, for a case handed over from another node (its history starts before this node held it). */
  openedAt?: string;
}

export interface AppliedDecision {
  kind: 'applied';
  caseId: string;
  workflow: WorkflowName;
  previousState: string | undefined;
  nextState: string;
  caseUpdates: CaseUpdates;
  timers: TimerChanges;
  emits: FollowUpEvent[];
}

export interface RejectedDecision {
  kind: 'rejected';
  caseId: string;
  reasonCode: string;
  reason: string;
  /** The domain error (not retriable): record it, dead-letter nothing, answer the sender. */
  error: import('./casework.errors').CaseRuleError;
  /** A `CaseEventRejected` back to the sender (none when the refused event was itself a rejection). */
  emits: FollowUpEvent[];
}

export type Decision = AppliedDecision | RejectedDecision;
