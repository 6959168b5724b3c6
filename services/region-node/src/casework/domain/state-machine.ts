import type { WorkingCalendar } from '@tongban/calendar';
import type { CaseSnapshot, CaseUpdates, FollowUpEvent, IncomingEvent, Role, WorkflowContext, WorkflowName } from './casework.types';
import type { DeadlinesConfig } from './deadlines.config';
import type { DeathNotice, HouseholdChange, HukouMove } from './reactions';
import type { Person } from './values';

/**
 * What a transition's `apply` sees. `snapshot` is the case before the event (a fresh shell when it opens one).
 * `L` is the lookups the workflow asks for beyond the common `CaseLookups` (see `WorkflowDefinition`).
 */
export interface TransitionInput<L extends object = object> {
  event: IncomingEvent;
  payload: Record<string, unknown>;
  occurredAt: Date;
  snapshot: CaseSnapshot;
  data: Record<string, unknown>;
  /** The sender's roles in this case. */
  roles: Role[];
  context: WorkflowContext<L>;
  deadlines: DeadlinesConfig;
}

export interface TransitionOutcome {
  /** The next state; the transition's static `to`, or the current state, when left out. */
  to?: string;
  /** The complete new data; unchanged when left out. */
  data?: Record<string, unknown>;
  /** Division changes (a transfer moves the responsible region). */
  caseUpdates?: Omit<CaseUpdates, 'data'>;
  emits?: FollowUpEvent[];
  /** Timers to start again even though the state they run in is not left (a new deadline). */
  restartTimers?: string[];
}

/** Who opens a case and how: the divisions and people it records. */
export interface CaseOpening {
  acceptingDivision: string;
  acceptingOffice?: string | null;
  responsibleDivision: string;
  personKeys: string[];
  data?: Record<string, unknown>;
}

export interface TransitionSpec<S extends string, L extends object = object> {
  /** States the event may be applied in, or 'opens-case' for the event that creates the case. */
  from: readonly S[] | 'opens-case' | 'any';
  /** The state it leads to when fixed (documentation and default); `apply` may choose among `toOneOf`. */
  to?: S | 'same';
  toOneOf?: readonly S[];
  senders: readonly Role[];
  /** A specific code and text for states where the event is refused for a reason a reader should see. */
  refusals?: Partial<Record<S, { code: string; message: string }>>;
  /** For 'opens-case' events: the case's divisions and people, read from the event. */
  opens?: (event: IncomingEvent, payload: Record<string, unknown>, context: WorkflowContext<L>) => CaseOpening;
  /**
   * For an event that continues a case the receiving node may not hold yet (a case handed over to a region on
   * another node): the case as the event describes it, in the state it has reached. Used only when no case exists.
   */
  adopts?: (event: IncomingEvent, payload: Record<string, unknown>, context: WorkflowContext<L>) => CaseOpening & { state: S; openedAt: string };
  /** Guards (throw a CaseRuleError) and the effect. */
  apply?: (input: TransitionInput<L>) => TransitionOutcome | Promise<TransitionOutcome>;
}

export interface TimerDueInput {
  snapshot: CaseSnapshot;
  enteredAt: Date;
  calendar: WorkingCalendar;
  deadlines: DeadlinesConfig;
}

export type TimerOnDue<S extends string> =
  | { kind: 'breach' }
  | { kind: 'advance'; to: S }
  | { kind: 'emit'; eventType: string; payload: (snapshot: CaseSnapshot, dueAt: Date) => Record<string, unknown> };

export interface TimerSpec<S extends string> {
  name: string;
  /** The timer runs while the case is in one of these states: started on entry, cancelled on leaving. */
  activeIn: readonly S[];
  due: (input: TimerDueInput) => Date;
  /** The side that has to act (its division is where the breach is addressed). */
  mustAct: Role | ((snapshot: CaseSnapshot) => string);
  /** The side whose node runs the timer (the one that waits). */
  owner: Role;
  escalateTo: Role[];
  /** DeadlineKind of the CaseDeadlineBreached contract. */
  deadlineKind: string;
  awaitedEventTypes: string[];
  onDue: TimerOnDue<S>;
}

/**
 * What a workflow does when something happens to a person outside its own events: the node asks each case's
 * workflow in turn (see reactions.ts). Every hook is optional; a workflow without one is left alone.
 */
export interface WorkflowReactions {
  /** Follow-up events for one of this workflow's cases naming a person who died. */
  onDeath?(notice: DeathNotice, snapshot: CaseSnapshot): FollowUpEvent[];
  /** Follow-up events for one of this workflow's cases when a person's hukou moves. */
  onHukouMove?(move: HukouMove, snapshot: CaseSnapshot): FollowUpEvent[];
  /** Follow-up events for one of this workflow's cases when a household it names changes. */
  onHouseholdChange?(change: HouseholdChange & { persons: [Person, Person] }, snapshot: CaseSnapshot, at: Date, causationId?: string): FollowUpEvent[];
  /** The household change an event applied to one of this workflow's cases makes (a marriage, a divorce). */
  householdChangeOf?(event: IncomingEvent, snapshot: CaseSnapshot): HouseholdChange | undefined;
  /** The other party of one of this workflow's cases, seen from a person (a spouse an older record update left out). */
  partnerOf?(snapshot: CaseSnapshot, idNumber: string): Person | undefined;
}

/**
 * One workflow, as a plug-in: its state machine, its reactions and — through `L` — the lookups it needs beyond
 * the common `CaseLookups` (the node that composes it must answer them). The engine knows workflows only
 * through this type and the registry it is handed (see workflow-registry.ts).
 */
export interface WorkflowDefinition<S extends string = string, L extends object = object> {
  workflow: WorkflowName;
  states: readonly S[];
  /** States in which the case counts as open or active (duplicates, death notices, hukou moves). */
  openStates: readonly S[];
  terminalStates: readonly S[];
  transitions: Readonly<Record<string, TransitionSpec<S, L>>>;
  /** The divisions that play each role in a case. */
  roleDivisions: (snapshot: CaseSnapshot) => Partial<Record<Role, string[]>>;
  timers: readonly TimerSpec<S>[];
  reactions?: WorkflowReactions;
}

/** Events every workflow accepts in every state: they record, never move the case. */
export const COMMON_EVENT_TYPES = ['CaseEventRejected', 'CaseDeadlineBreached'] as const;

export function commonTransitions<S extends string, L extends object = object>(): Record<string, TransitionSpec<S, L>> {
  const record =
    (key: string) =>
    ({ data, event, occurredAt }: TransitionInput): TransitionOutcome => {
      const entries = Array.isArray(data[key]) ? (data[key] as unknown[]) : [];
      const { payload } = event;
      const entry =
        key === 'rejections'
          ? { eventId: event.eventId, refusedEventType: payload.refusedEventType, reasonCode: payload.reasonCode, at: occurredAt.toISOString() }
          : { eventId: event.eventId, deadline: payload.deadline, dueAt: payload.dueAt, at: occurredAt.toISOString() };
      return { data: { ...data, [key]: [...entries, entry] } };
    };
  const everyone: Role[] = ['accepting', 'responsible', 'payer', 'funeral-service', 'registry-office', 'check-centre'];
  return {
    CaseEventRejected: { from: 'any', to: 'same', senders: everyone, apply: record('rejections') },
    CaseDeadlineBreached: { from: 'any', to: 'same', senders: everyone, apply: record('breaches') },
  };
}

/** A follow-up event from one side of a case to another. */
export function followUp(
  snapshot: CaseSnapshot,
  eventType: string,
  from: string,
  to: string,
  payload: Record<string, unknown>,
  occurredAt: Date,
  dedupeKey: string,
  causationId?: string,
  sourceOffice?: string | null,
): FollowUpEvent {
  return {
    eventType,
    caseId: snapshot.caseId,
    sourceRegion: from,
    targetRegion: to,
    sourceOffice: sourceOffice ?? null,
    occurredAt,
    causationId,
    dedupeKey,
    payload,
  };
}
