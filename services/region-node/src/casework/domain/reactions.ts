import { LocalDate } from '@tongban/calendar';
import { covers } from '@tongban/regions';
import type { CaseSnapshot, FollowUpEvent, IncomingEvent, KnownDeath } from './casework.types';
import { followUp } from './state-machine';
import { asRecord, localDate, Person, text, toInstant } from './values';
import type { ReactingWorkflows } from './workflow-registry';

/**
 * Reactions across workflows. Each takes a fact and the person's cases as they are now and proposes follow-up
 * events; the node serving an event's `sourceRegion` publishes it and applies it through `decide`. A case already
 * moved by an earlier run proposes nothing, and `dedupeKey`s are stable: the same fact twice changes nothing.
 * What a fact does to a case is the case's workflow's to say (`WorkflowDefinition.reactions`): these functions
 * only hand each case to its workflow through the registry they are given.
 */

export interface DeathNotice {
  deceasedIdNumber: string;
  /** The deceased as a PersonRef (what a widowed spouse's record keeps). */
  deceased: Person;
  deathDate: LocalDate;
  /** The funeral case that registered the death: what notices and record updates point to (never the certificate). */
  sourceCaseId: string;
  /** The notice's event id, for causation. */
  causationId?: string;
  at: Date;
}

/** Reads a `DeathNoticeIssued` or a `DeathRegistered` event: both carry the deceased and the date of death. */
export function deathNoticeFrom(event: IncomingEvent): DeathNotice {
  const p = event.payload;
  const deceased = asRecord(p.deceased, 'deceased');
  const idNumber = text(deceased, 'idNumber', 'deceased.idNumber').trim().toUpperCase();
  return {
    deceasedIdNumber: idNumber,
    deceased: { idNumber, name: text(deceased, 'name', 'deceased.name'), hukouDivision: text(deceased, 'hukouDivision', 'deceased.hukouDivision') },
    deathDate: localDate(p, 'deathDate'),
    sourceCaseId: event.caseId,
    causationId: event.eventId,
    at: toInstant(event.occurredAt),
  };
}

/** The fact a node keeps of a death it learnt of (see `KnownDeath`), from a `DeathRegistered` or `DeathNoticeIssued`. */
export function knownDeathFrom(event: IncomingEvent): KnownDeath | undefined {
  if (event.eventType !== 'DeathRegistered' && event.eventType !== 'DeathNoticeIssued') return undefined;
  const notice = deathNoticeFrom(event);
  return { deathDate: notice.deathDate, sourceCaseId: notice.sourceCaseId };
}

export interface ReactionOptions {
  /** The node's division: when set, only events this node publishes are returned. */
  node?: string;
}

function only(events: FollowUpEvent[], options: ReactionOptions): FollowUpEvent[] {
  return options.node ? events.filter((e) => covers(options.node!, e.sourceRegion)) : events;
}

/**
 * A death notice: each case naming the person is handed to its workflow (an active subsidy stops from the month
 * after death, an application under review ends, an open economic check is cancelled, the surviving spouse is
 * recorded as widowed, a pending marriage registration ends).
 */
export function reactToDeathNotice(
  workflows: ReactingWorkflows,
  notice: DeathNotice,
  cases: readonly CaseSnapshot[],
  options: ReactionOptions = {},
): FollowUpEvent[] {
  const events: FollowUpEvent[] = [];
  for (const c of cases) {
    if (!c.personKeys.includes(notice.deceasedIdNumber)) continue;
    events.push(...(workflows.definitionFor(c.workflow)?.reactions?.onDeath?.(notice, c) ?? []));
  }
  return only(events, options);
}

/** The update that records a survivor as widowed; one per death and spouse, whichever side sends it. */
export function widowed(notice: DeathNotice, caseId: string, from: string, spouse: Person, sourceOffice?: string | null): FollowUpEvent {
  return {
    eventType: 'MarriageRecordUpdated',
    caseId,
    sourceRegion: from,
    targetRegion: spouse.hukouDivision,
    sourceOffice: sourceOffice ?? null,
    occurredAt: notice.at,
    causationId: notice.causationId,
    dedupeKey: `widowed:${notice.deceasedIdNumber}:${spouse.idNumber}`,
    payload: {
      person: { idNumber: spouse.idNumber, name: spouse.name, hukouDivision: spouse.hukouDivision },
      newStatus: 'WIDOWED',
      registrationKind: 'DEATH_OF_SPOUSE',
      registrationRef: notice.sourceCaseId,
      effectiveOn: notice.deathDate,
      spouse: notice.deceased,
    },
  };
}

/**
 * What a record region keeps of a person's marital status: the last `MarriageRecordUpdated` addressed to it,
 * with the spouse and the marriage case. The region holding the record learns of the person's death whichever
 * province registers it (a death registration is addressed to the hukou region), so it is the one that widows
 * the spouse — the marriage case itself may live on another node.
 */
export interface MaritalRecord {
  idNumber: string;
  status: string;
  spouse: Person | null;
  caseId: string;
  /** The region holding the record (the person's hukou division, the update's addressee). */
  recordDivision: string;
  effectiveOn: LocalDate;
}

/** Reads a `MarriageRecordUpdated`; the spouse from the payload or, for older senders, from the case when held here. */
export function maritalRecordFrom(workflows: ReactingWorkflows, event: IncomingEvent, snapshot?: CaseSnapshot): MaritalRecord | undefined {
  if (event.eventType !== 'MarriageRecordUpdated') return undefined;
  const p = event.payload;
  const who = asRecord(p.person, 'person');
  const idNumber = text(who, 'idNumber', 'person.idNumber').trim().toUpperCase();
  let spouse: Person | null = null;
  if (p.spouse && typeof p.spouse === 'object') {
    const s = p.spouse as Record<string, unknown>;
    spouse = {
      idNumber: text(s, 'idNumber', 'spouse.idNumber').trim().toUpperCase(),
      name: text(s, 'name', 'spouse.name'),
      hukouDivision: text(s, 'hukouDivision', 'spouse.hukouDivision'),
    };
  } else if (snapshot) {
    spouse = workflows.definitionFor(snapshot.workflow)?.reactions?.partnerOf?.(snapshot, idNumber) ?? null;
  }
  return { idNumber, status: text(p, 'newStatus'), spouse, caseId: event.caseId, recordDivision: event.targetRegion, effectiveOn: localDate(p, 'effectiveOn') };
}

/** A death reaching the region that holds the deceased's record: the surviving spouse is recorded as widowed. */
export function reactToDeathByRecords(notice: DeathNotice, records: readonly MaritalRecord[], options: ReactionOptions = {}): FollowUpEvent[] {
  const events = records
    .filter((r) => r.idNumber === notice.deceasedIdNumber && r.status === 'MARRIED' && r.spouse)
    .map((r) => widowed(notice, r.caseId, r.recordDivision, r.spouse!));
  return only(events, options);
}

/**
 * The death notices a funeral case sends: one to each region, other than the two sides of the funeral case
 * (they hold the death registration), that plays a part in an open case of the person held by this node. The
 * notice carries the person, the date of death and the source case — never the medical certificate number.
 * On a node the side it serves sends them; the same notice from either side has the same id.
 */
export function deathNoticesFor(
  workflows: ReactingWorkflows,
  funeral: CaseSnapshot,
  personCases: readonly CaseSnapshot[],
  notice: DeathNotice,
  options: ReactionOptions = {},
): FollowUpEvent[] {
  const d = funeral.data as { deceasedIdNumber?: string; deathDate?: string; deceased?: Person };
  const id = d.deceasedIdNumber;
  if (!id || !d.deathDate || !d.deceased) return [];
  const sides = [funeral.acceptingDivision, funeral.responsibleDivision];
  const from =
    options.node && !covers(options.node, funeral.acceptingDivision) && covers(options.node, funeral.responsibleDivision)
      ? funeral.responsibleDivision
      : funeral.acceptingDivision;
  const byTarget = new Map<string, string[]>();
  for (const c of personCases) {
    if (c.caseId === funeral.caseId || !c.personKeys.includes(id)) continue;
    const definition = workflows.definitionFor(c.workflow);
    if (!definition || !(definition.openStates as readonly string[]).includes(c.state)) continue;
    for (const division of Object.values(definition.roleDivisions(c)).flat()) {
      if (!division || sides.some((s) => covers(s, division) || covers(division, s))) continue;
      byTarget.set(division, [...new Set([...(byTarget.get(division) ?? []), c.caseId])]);
    }
  }
  const events = [...byTarget.entries()].map(([target, caseIds]) =>
    followUp(
      funeral,
      'DeathNoticeIssued',
      from,
      target,
      {
        deceased: d.deceased,
        deathDate: d.deathDate,
        deathRegistrationRef: funeral.caseId,
        knownCaseIds: caseIds,
      },
      notice.at,
      `death-notice:${id}:${target}`,
      notice.causationId,
      from === funeral.acceptingDivision ? funeral.acceptingOffice : null,
    ),
  );
  return only(events, options);
}

export interface HukouMove {
  idNumber: string;
  fromDivision: string;
  toDivision: string;
  movedOn: LocalDate;
  /** Reference of the move at public security (迁移证明). */
  moveRef: string;
  at: Date;
}

/**
 * A hukou move: each case of the person is handed to its workflow (an active subsidy is transferred to the new
 * payer, an application under review handed over to the new region).
 */
export function reactToHukouMove(
  workflows: ReactingWorkflows,
  move: HukouMove,
  cases: readonly CaseSnapshot[],
  options: ReactionOptions = {},
): FollowUpEvent[] {
  const events: FollowUpEvent[] = [];
  for (const c of cases) events.push(...(workflows.definitionFor(c.workflow)?.reactions?.onHukouMove?.(move, c) ?? []));
  return only(events, options);
}

/** Spouse links that later economic checks read to know a person's household. */
export interface HouseholdChange {
  kind: 'spouses-joined' | 'spouses-separated';
  members: [string, string];
  /** The two people, when known (the parties of the case, or the person and spouse of a record update). */
  persons?: [Person, Person];
  effectiveOn: LocalDate;
  caseId: string;
}

/**
 * A registered marriage or divorce changes the household (at the registering office), and so does the record
 * update reaching a party's record region; any other event does not.
 */
export function householdChangeFor(workflows: ReactingWorkflows, event: IncomingEvent, snapshot: CaseSnapshot | undefined): HouseholdChange | undefined {
  if (event.eventType === 'MarriageRecordUpdated') {
    const record = maritalRecordFrom(workflows, event, snapshot);
    if (!record?.spouse || (record.status !== 'MARRIED' && record.status !== 'DIVORCED')) return undefined;
    const who = asRecord(event.payload.person, 'person');
    const person = { idNumber: record.idNumber, name: text(who, 'name', 'person.name'), hukouDivision: text(who, 'hukouDivision', 'person.hukouDivision') };
    return {
      kind: record.status === 'MARRIED' ? 'spouses-joined' : 'spouses-separated',
      members: [record.idNumber, record.spouse.idNumber],
      persons: [person, record.spouse],
      effectiveOn: record.effectiveOn,
      caseId: event.caseId,
    };
  }
  if (!snapshot) return undefined;
  return workflows.definitionFor(snapshot.workflow)?.reactions?.householdChangeOf?.(event, snapshot);
}

/**
 * A household changed: each case naming either spouse is handed to its workflow (an open economic check is
 * flagged to its requester, EconomicCheckHouseholdChanged, who decides whether to ask again).
 */
export function reactToHouseholdChange(
  workflows: ReactingWorkflows,
  change: HouseholdChange,
  cases: readonly CaseSnapshot[],
  at: Date,
  options: ReactionOptions = {},
  causationId?: string,
): FollowUpEvent[] {
  const persons = change.persons;
  if (!persons) return [];
  const events: FollowUpEvent[] = [];
  for (const c of cases) {
    events.push(...(workflows.definitionFor(c.workflow)?.reactions?.onHouseholdChange?.({ ...change, persons }, c, at, causationId) ?? []));
  }
  return only(events, options);
}

/** Person → spouse, after a change. Applying the same change twice gives the same map. */
export function applyHouseholdChange(spouses: ReadonlyMap<string, string>, change: HouseholdChange): Map<string, string> {
  const next = new Map(spouses);
  const [a, b] = change.members;
  if (change.kind === 'spouses-joined') {
    next.set(a, b);
    next.set(b, a);
  } else if (next.get(a) === b) {
    next.delete(a);
    next.delete(b);
  }
  return next;
}

/**
 * The household an economic check should name for an applicant: the applicant and the current spouse (other
 * members — children, parents — come from the application itself).
 */
export function spouseHousehold(idNumber: string, spouses: ReadonlyMap<string, string>): string[] {
  const spouse = spouses.get(idNumber);
  return spouse ? [idNumber, spouse] : [idNumber];
}

/** The reactions bound to one registry: what a node or a spec calls once its workflows are composed. */
export function reactionsFor(workflows: ReactingWorkflows) {
  return {
    reactToDeathNotice: (notice: DeathNotice, cases: readonly CaseSnapshot[], options?: ReactionOptions) =>
      reactToDeathNotice(workflows, notice, cases, options),
    deathNoticesFor: (funeral: CaseSnapshot, personCases: readonly CaseSnapshot[], notice: DeathNotice, options?: ReactionOptions) =>
      deathNoticesFor(workflows, funeral, personCases, notice, options),
    reactToHukouMove: (move: HukouMove, cases: readonly CaseSnapshot[], options?: ReactionOptions) => reactToHukouMove(workflows, move, cases, options),
    maritalRecordFrom: (event: IncomingEvent, snapshot?: CaseSnapshot) => maritalRecordFrom(workflows, event, snapshot),
    householdChangeFor: (event: IncomingEvent, snapshot: CaseSnapshot | undefined) => householdChangeFor(workflows, event, snapshot),
    reactToHouseholdChange: (change: HouseholdChange, cases: readonly CaseSnapshot[], at: Date, options?: ReactionOptions, causationId?: string) =>
      reactToHouseholdChange(workflows, change, cases, at, options, causationId),
  };
}
