import { covers } from '@tongban/regions';
import { CaseRuleError, GuardFailedError, IllegalTransitionError, UnauthorisedSenderError, UnknownCaseError, UnknownEventTypeError } from './casework.errors';
import { withoutIdNumbers } from './case-ownership';
import type {
  AppliedDecision,
  CaseSnapshot,
  DecideContext,
  Decision,
  FollowUpEvent,
  IncomingEvent,
  RejectedDecision,
  Role,
  TimerChanges,
  TimerStart,
} from './casework.types';
import { DEFAULT_DEADLINES, DeadlinesConfig } from './deadlines.config';
import { COMMON_EVENT_TYPES, TimerSpec, TransitionOutcome, WorkflowDefinition } from './state-machine';
import { toInstant } from './values';

/** Roles bound to the office as well as the division: a service office (e.g. CQ-HTZ) speaks only for its cases. */
const OFFICE_BOUND_ROLES: readonly Role[] = ['accepting', 'registry-office'];

/**
 * The roles a sender plays in a case: a role's division is covered by the source division (a city key speaks
 * for its districts, a province key for the province), and for office-bound roles the office must match.
 */
export function rolesOf<L extends object>(
  definition: WorkflowDefinition<string, L>,
  snapshot: CaseSnapshot,
  sourceRegion: string,
  sourceOffice?: string | null,
): Role[] {
  const roles: Role[] = [];
  for (const [role, divisions] of Object.entries(definition.roleDivisions(snapshot)) as Array<[Role, string[]]>) {
    if (!divisions.some((d) => d && covers(sourceRegion, d))) continue;
    if (OFFICE_BOUND_ROLES.includes(role) && snapshot.acceptingOffice && sourceOffice !== snapshot.acceptingOffice) continue;
    roles.push(role);
  }
  return roles;
}

export function deadlinesOf<L extends object>(context: DecideContext<L>): DeadlinesConfig {
  return { ...DEFAULT_DEADLINES, ...context.deadlines };
}

function roleDivision<L extends object>(definition: WorkflowDefinition<string, L>, snapshot: CaseSnapshot, role: Role): string {
  return definition.roleDivisions(snapshot)[role]?.[0] ?? snapshot.responsibleDivision;
}

/**
 * Decides what an incoming event does to a case: applied (next state, case updates, timers to start and
 * cancel, follow-up events) or rejected (a stable reason code; never retriable). Pure apart from the lookups.
 */
export async function decide<L extends object>(snapshot: CaseSnapshot | undefined, incoming: IncomingEvent, context: DecideContext<L>): Promise<Decision> {
  try {
    return await decideOrThrow(snapshot, incoming, context);
  } catch (error) {
    if (error instanceof CaseRuleError) return rejected(snapshot, incoming, error, context.now);
    throw error;
  }
}

async function decideOrThrow<L extends object>(
  snapshot: CaseSnapshot | undefined,
  incoming: IncomingEvent,
  context: DecideContext<L>,
): Promise<AppliedDecision> {
  const isCommon = (COMMON_EVENT_TYPES as readonly string[]).includes(incoming.eventType);
  const { workflows } = context;
  const definition = isCommon && snapshot ? workflows.definitionFor(snapshot.workflow) : workflows.definitionForEventType(incoming.eventType);
  if (!definition) {
    if (isCommon) throw new UnknownCaseError(incoming.caseId, incoming.eventType);
    throw new UnknownEventTypeError(incoming.eventType);
  }
  const spec = definition.transitions[incoming.eventType];
  const occurredAt = toInstant(incoming.occurredAt);
  const payload = incoming.payload ?? {};
  const deadlines = deadlinesOf(context);

  let before: CaseSnapshot;
  if (spec.from === 'opens-case') {
    if (snapshot)
      throw new IllegalTransitionError(`case ${snapshot.caseId} already exists (${snapshot.state}); ${incoming.eventType} opens a new case`, 'CASE_EXISTS');
    const opening = spec.opens!(incoming, payload, context);
    before = {
      caseId: incoming.caseId,
      workflow: definition.workflow,
      state: '',
      acceptingDivision: opening.acceptingDivision,
      acceptingOffice: opening.acceptingOffice ?? null,
      responsibleDivision: opening.responsibleDivision,
      personKeys: opening.personKeys,
      timers: {},
      data: opening.data ?? {},
      openedAt: occurredAt.toISOString(),
      updatedAt: occurredAt.toISOString(),
    };
  } else if (!snapshot && spec.adopts) {
    const adopted = spec.adopts(incoming, payload, context);
    before = {
      caseId: incoming.caseId,
      workflow: definition.workflow,
      state: adopted.state,
      acceptingDivision: adopted.acceptingDivision,
      acceptingOffice: adopted.acceptingOffice ?? null,
      responsibleDivision: adopted.responsibleDivision,
      personKeys: adopted.personKeys,
      timers: {},
      data: adopted.data ?? {},
      openedAt: adopted.openedAt,
      updatedAt: occurredAt.toISOString(),
    };
  } else {
    if (!snapshot) throw new UnknownCaseError(incoming.caseId, incoming.eventType);
    if (snapshot.workflow !== definition.workflow) {
      throw new IllegalTransitionError(
        `${incoming.eventType} belongs to ${definition.workflow}, case ${snapshot.caseId} is ${snapshot.workflow}`,
        'WRONG_WORKFLOW',
      );
    }
    before = snapshot;
  }

  if (spec.from === 'opens-case' && incoming.eventType !== 'DeathRegistered') await refuseForTheDeceased(before, incoming, context);

  const roles = rolesOf(definition, before, incoming.sourceRegion, incoming.sourceOffice);
  if (!roles.some((r) => spec.senders.includes(r))) {
    const who = `${incoming.sourceRegion}${incoming.sourceOffice ? `/${incoming.sourceOffice}` : ''}`;
    throw new UnauthorisedSenderError(
      `${incoming.eventType} must come from the ${spec.senders.join(' or ')} side of case ${before.caseId}; ${who} is ${roles.length ? `the ${roles.join(', ')} side` : 'not a party'}`,
      roles.length > 0,
    );
  }

  if (spec.from !== 'opens-case' && spec.from !== 'any' && !spec.from.includes(before.state)) {
    const refusal = spec.refusals?.[before.state];
    if (refusal) throw new IllegalTransitionError(refusal.message, refusal.code);
    throw new IllegalTransitionError(`${incoming.eventType} is not allowed in state ${before.state} (allowed in ${spec.from.join(', ')})`);
  }

  const outcome: TransitionOutcome = spec.apply
    ? await spec.apply({ event: incoming, payload, occurredAt, snapshot: before, data: before.data, roles, context, deadlines })
    : {};
  const nextState = outcome.to ?? (spec.to && spec.to !== 'same' ? spec.to : before.state);
  if (!(definition.states as readonly string[]).includes(nextState)) {
    throw new Error(`${definition.workflow}: ${incoming.eventType} led to unknown state "${nextState}"`);
  }

  const caseUpdates = {
    ...(spec.from === 'opens-case' || !snapshot
      ? {
          acceptingDivision: before.acceptingDivision,
          acceptingOffice: before.acceptingOffice,
          responsibleDivision: before.responsibleDivision,
          personKeys: before.personKeys,
          data: before.data,
          ...(spec.from === 'opens-case' ? {} : { openedAt: before.openedAt }),
        }
      : {}),
    ...outcome.caseUpdates,
    ...(outcome.data ? { data: outcome.data } : {}),
  };
  const after: CaseSnapshot = { ...before, ...caseUpdates, state: nextState };
  const timers = timerChanges(definition, before, after, occurredAt, context, deadlines, outcome.restartTimers ?? []);
  return {
    kind: 'applied',
    caseId: incoming.caseId,
    workflow: definition.workflow,
    previousState: snapshot?.state,
    nextState,
    caseUpdates,
    timers,
    emits: (outcome.emits ?? []).map((e) => addressOffice({ ...e, causationId: e.causationId ?? incoming.eventId }, after)),
  };
}

/**
 * An event addressed to the accepting side of a case a service office holds (CQ-HTZ) names the office as well
 * as the district: several offices share a district, and only the case's office may take the answer.
 */
export function addressOffice(e: FollowUpEvent, snapshot: Pick<CaseSnapshot, 'acceptingDivision' | 'acceptingOffice'>): FollowUpEvent {
  if (e.targetOffice || !snapshot.acceptingOffice || e.targetRegion !== snapshot.acceptingDivision || e.sourceOffice === snapshot.acceptingOffice) return e;
  return { ...e, targetOffice: snapshot.acceptingOffice };
}

/** No new application, marriage request or check is opened for a person this node knows to have died. */
async function refuseForTheDeceased<L extends object>(opening: CaseSnapshot, incoming: IncomingEvent, context: DecideContext<L>): Promise<void> {
  if (!context.lookups.deathOf) return;
  for (const id of opening.personKeys) {
    const death = await context.lookups.deathOf(id);
    if (death) {
      throw new GuardFailedError(
        'PERSON_DECEASED',
        `${id.slice(0, 6)}… died on ${death.deathDate} (case ${death.sourceCaseId}); ${incoming.eventType} cannot open a case for the person`,
        'VALIDATION_FAILED',
        death.sourceCaseId,
      );
    }
  }
}

function timerChanges<L extends object>(
  definition: WorkflowDefinition<string, L>,
  before: CaseSnapshot,
  after: CaseSnapshot,
  enteredAt: Date,
  context: DecideContext<L>,
  deadlines: DeadlinesConfig,
  restart: string[],
): TimerChanges {
  const changes: TimerChanges = { start: [], cancel: [] };
  for (const timer of definition.timers) {
    const wasIn = before.state !== '' && timer.activeIn.includes(before.state);
    const isIn = timer.activeIn.includes(after.state);
    if (wasIn && !isIn) {
      if (before.timers[timer.name]) changes.cancel.push(timer.name);
    } else if (isIn && (!wasIn || restart.includes(timer.name))) {
      changes.start.push(startTimer(definition, timer, after, enteredAt, context, deadlines));
    }
  }
  return changes;
}

function startTimer<L extends object>(
  definition: WorkflowDefinition<string, L>,
  timer: TimerSpec<string>,
  snapshot: CaseSnapshot,
  enteredAt: Date,
  context: DecideContext<L>,
  deadlines: DeadlinesConfig,
): TimerStart {
  return {
    name: timer.name,
    dueAt: timer.due({ snapshot, enteredAt, calendar: context.calendar, deadlines }),
    ownerDivision: roleDivision(definition, snapshot, timer.owner),
    escalateTo: timer.escalateTo,
    mustActDivision: typeof timer.mustAct === 'function' ? timer.mustAct(snapshot) : roleDivision(definition, snapshot, timer.mustAct),
  };
}

/**
 * The refusal of an event, with the CaseEventRejected answered to its sender. A sender that is no party
 * to the case is told only what it would hear of a case that does not exist (no state, no reason from
 * the case); no answer carries an ID number, since it travels to another region.
 */
export function refuse(snapshot: CaseSnapshot | undefined, incoming: IncomingEvent, error: CaseRuleError, now: Date): RejectedDecision {
  return rejected(snapshot, incoming, error, now);
}

function rejected(snapshot: CaseSnapshot | undefined, incoming: IncomingEvent, error: CaseRuleError, now: Date): RejectedDecision {
  const emits: FollowUpEvent[] = [];
  const outsider = error instanceof UnauthorisedSenderError && !error.party;
  const told = outsider ? new UnknownCaseError(incoming.caseId, incoming.eventType) : error;
  if (incoming.eventType !== 'CaseEventRejected') {
    emits.push({
      eventType: 'CaseEventRejected',
      caseId: incoming.caseId,
      sourceRegion: incoming.targetRegion,
      targetRegion: incoming.sourceRegion,
      sourceOffice: null,
      // Back to the office that sent the refused event, when an office sent it.
      targetOffice: incoming.sourceOffice ?? null,
      occurredAt: now,
      causationId: incoming.eventId,
      dedupeKey: `rejection:${incoming.eventId}`,
      payload: {
        refusedEventId: incoming.eventId,
        refusedEventType: incoming.eventType,
        reasonCode: told.rejectionCode,
        reasonText: withoutIdNumbers(`${told.code}: ${told.message}`),
        caseState: outsider ? null : (snapshot?.state ?? null),
        relatedCaseId: outsider ? null : (told.relatedCaseId ?? null),
      },
    });
  }
  return { kind: 'rejected', caseId: incoming.caseId, reasonCode: error.code, reason: error.message, error, emits };
}

/**
 * A timer fell due. Breach: a CaseDeadlineBreached to the side that has to act. Emit: the event the deadline
 * implies (a lapse, an expiry), which the owner node then applies through `decide`. Advance: a move the law
 * makes by itself (the end of the divorce cooling-off period). Rejected 'TIMER_NOT_OPEN' / 'TIMER_NOT_DUE'
 * when the case has moved on or the scheduler woke early: nothing to do.
 */
export function decideTimer<L extends object>(snapshot: CaseSnapshot, timerName: string, context: DecideContext<L>): Decision {
  const definition = context.workflows.definitionFor(snapshot.workflow);
  const timer = definition?.timers.find((t) => t.name === timerName);
  const open = snapshot.timers[timerName];
  const noop = (code: string, reason: string): RejectedDecision => ({
    kind: 'rejected',
    caseId: snapshot.caseId,
    reasonCode: code,
    reason,
    error: new CaseRuleError(code, reason, 'OTHER'),
    emits: [],
  });
  if (!definition || !timer || !open || !timer.activeIn.includes(snapshot.state)) {
    return noop('TIMER_NOT_OPEN', `timer ${timerName} is not running on case ${snapshot.caseId} (${snapshot.state})`);
  }
  const dueAt = new Date(open.dueAt);
  if (context.now.getTime() < dueAt.getTime()) return noop('TIMER_NOT_DUE', `timer ${timerName} is due at ${open.dueAt}`);

  const owner = roleDivision(definition, snapshot, timer.owner);
  const mustAct = typeof timer.mustAct === 'function' ? timer.mustAct(snapshot) : roleDivision(definition, snapshot, timer.mustAct);
  const base: AppliedDecision = {
    kind: 'applied',
    caseId: snapshot.caseId,
    workflow: definition.workflow,
    previousState: snapshot.state,
    nextState: snapshot.state,
    caseUpdates: {},
    timers: { start: [], cancel: [timerName] },
    emits: [],
  };
  const event = (eventType: string, payload: Record<string, unknown>, target: string): FollowUpEvent =>
    addressOffice(
      {
        eventType,
        caseId: snapshot.caseId,
        sourceRegion: owner,
        targetRegion: target,
        sourceOffice: timer.owner === 'accepting' || timer.owner === 'registry-office' ? (snapshot.acceptingOffice ?? null) : null,
        occurredAt: dueAt,
        dedupeKey: `timer:${snapshot.caseId}:${timerName}:${open.dueAt}`,
        payload,
      },
      snapshot,
    );
  switch (timer.onDue.kind) {
    case 'breach':
      base.emits.push(
        event(
          'CaseDeadlineBreached',
          {
            deadline: timer.deadlineKind,
            runningSince: new Date(open.startedAt),
            dueAt,
            mustActRegion: mustAct,
            mustActOffice: null,
            awaitedEventTypes: timer.awaitedEventTypes,
          },
          mustAct,
        ),
      );
      return base;
    case 'emit':
      base.emits.push(event(timer.onDue.eventType, timer.onDue.payload(snapshot, dueAt), mustAct));
      return base;
    case 'advance': {
      const after = { ...snapshot, state: timer.onDue.to };
      const changes = timerChanges(definition, snapshot, after, dueAt, context, deadlinesOf(context), []);
      return { ...base, nextState: timer.onDue.to, timers: { start: changes.start, cancel: [...new Set([timerName, ...changes.cancel])] } };
    }
  }
}

/** The case after an applied decision: what the infrastructure stores. */
export function applyDecision(snapshot: CaseSnapshot | undefined, decision: AppliedDecision, at: Date): CaseSnapshot {
  const timers = { ...(snapshot?.timers ?? {}) };
  for (const name of decision.timers.cancel) delete timers[name];
  for (const t of decision.timers.start) timers[t.name] = { startedAt: at.toISOString(), dueAt: t.dueAt.toISOString() };
  const base: CaseSnapshot = snapshot ?? {
    caseId: decision.caseId,
    workflow: decision.workflow,
    state: decision.nextState,
    acceptingDivision: '',
    acceptingOffice: null,
    responsibleDivision: '',
    personKeys: [],
    timers: {},
    data: {},
    openedAt: at.toISOString(),
    updatedAt: at.toISOString(),
  };
  return { ...base, ...decision.caseUpdates, state: decision.nextState, timers, updatedAt: at.toISOString() };
}

/** Whether the node serving `node` publishes an event sent by `sourceRegion` (and runs timers owned there). */
export function isPublishedBy(node: string, sourceRegion: string): boolean {
  return covers(node, sourceRegion);
}
