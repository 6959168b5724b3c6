import { LocalDate } from '@tongban/calendar';
import { covers } from '@tongban/regions';
import {
  REVIEW_STATE_SYMBOL,
  SUBSIDY_ACTIVE_STATES,
  SUBSIDY_REVIEW_STATES,
  SubsidyData,
  SubsidyState,
} from '../../disability-subsidy/domain/disability-subsidy.state-machine';
import { ECONOMIC_CHECK_OPEN_STATES, EconomicCheckState, householdFlags } from '../../economic-check/domain/economic-check.state-machine';
import {
  DIVORCE_PENDING_STATES,
  MARRIAGE_IN_FORCE_STATES,
  MARRIAGE_PENDING_STATES,
  MarriageData,
  MarriageState,
} from '../../marriage-registration/domain/marriage-registration.state-machine';
import type { CaseSnapshot, FollowUpEvent, IncomingEvent, KnownDeath } from './casework.types';
import { followUp } from './state-machine';
import { addMonths, asRecord, compareMonths, localDate, monthOf, Person, text, toInstant } from './values';
import { definitionFor } from './workflows';

/**
 * Reactions across workflows. Each takes a fact and the person's cases as they are now and proposes follow-up
 * events; the node serving an event's `sourceRegion` publishes it and applies it through `decide`. A case already
 * moved by an earlier run proposes nothing, and `dedupeKey`s are stable: the same fact twice changes nothing.
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

const inState = <S extends string>(snapshot: CaseSnapshot, states: readonly S[]) => (states as readonly string[]).includes(snapshot.state);

/**
 * A death notice: stop every active subsidy from the month after death, end subsidy applications under review,
 * cancel open economic checks naming the person, record the surviving spouse as widowed and end pending
 * marriage registrations.
 */
export function reactToDeathNotice(notice: DeathNotice, cases: readonly CaseSnapshot[], options: ReactionOptions = {}): FollowUpEvent[] {
  const id = notice.deceasedIdNumber;
  const events: FollowUpEvent[] = [];
  const key = (c: CaseSnapshot, what: string) => `death:${id}:${c.caseId}:${what}`;
  for (const c of cases) {
    if (!c.personKeys.includes(id)) continue;
    switch (c.workflow) {
      case 'disability-subsidy': {
        const d = c.data as SubsidyData;
        if (d.applicantIdNumber !== id) break;
        if (inState<SubsidyState>(c, SUBSIDY_ACTIVE_STATES) && (d.activeTypes ?? []).length) {
          const payer = d.payerDivision ?? c.responsibleDivision;
          events.push(
            followUp(c, 'SubsidyStopped', payer, c.acceptingDivision, {
              subsidyTypes: d.activeTypes,
              reason: 'DEATH',
              // Paid for the month of death, not after it.
              effectiveMonth: addMonths(monthOf(notice.deathDate), 1),
              reasonText: `died on ${notice.deathDate} (${notice.sourceCaseId})`,
            }, notice.at, key(c, 'SubsidyStopped'), notice.causationId),
          );
        } else if (inState<SubsidyState>(c, SUBSIDY_REVIEW_STATES)) {
          events.push(
            followUp(c, 'SubsidyRejected', c.responsibleDivision, c.acceptingDivision, {
              reasonCode: 'APPLICANT_DECEASED',
              reasonText: `the applicant died on ${notice.deathDate}`,
              openCaseId: null,
            }, notice.at, key(c, 'SubsidyRejected'), notice.causationId),
          );
        }
        break;
      }
      case 'economic-check':
        if (inState<EconomicCheckState>(c, ECONOMIC_CHECK_OPEN_STATES)) {
          events.push(
            followUp(c, 'EconomicCheckCancelled', c.acceptingDivision, c.responsibleDivision, {
              reason: 'MEMBER_DECEASED',
              reasonText: `a household member died on ${notice.deathDate}`,
            }, notice.at, key(c, 'EconomicCheckCancelled'), notice.causationId, c.acceptingOffice),
          );
        }
        break;
      case 'marriage-registration': {
        const d = c.data as MarriageData;
        const deceased = d.parties.find((p) => p.idNumber === id);
        const spouse = d.parties.find((p) => p.idNumber !== id);
        if (!deceased || !spouse) break;
        const ended =
          (d.kind === 'marriage' && inState<MarriageState>(c, MARRIAGE_IN_FORCE_STATES)) || (d.kind === 'divorce' && inState<MarriageState>(c, DIVORCE_PENDING_STATES));
        if (ended) {
          // The registering office holds the case: it tells the survivor's record region, whatever province registered the death.
          events.push(widowed(notice, c.caseId, c.acceptingDivision, spouse, c.acceptingOffice));
        } else if (d.kind === 'marriage' && inState<MarriageState>(c, MARRIAGE_PENDING_STATES)) {
          events.push(
            followUp(c, 'MarriageRegistrationRefused', c.acceptingDivision, deceased.hukouDivision, {
              reasonCode: 'OTHER',
              reasonText: `a party died on ${notice.deathDate}`,
              concernedPartyIdNumber: id,
            }, notice.at, key(c, 'MarriageRegistrationRefused'), notice.causationId, c.acceptingOffice),
          );
        }
        break;
      }
      default:
        break;
    }
  }
  return only(events, options);
}

/** The update that records a survivor as widowed; one per death and spouse, whichever side sends it. */
function widowed(notice: DeathNotice, caseId: string, from: string, spouse: Person, sourceOffice?: string | null): FollowUpEvent {
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
export function maritalRecordFrom(event: IncomingEvent, snapshot?: CaseSnapshot): MaritalRecord | undefined {
  if (event.eventType !== 'MarriageRecordUpdated') return undefined;
  const p = event.payload;
  const who = asRecord(p.person, 'person');
  const idNumber = text(who, 'idNumber', 'person.idNumber').trim().toUpperCase();
  let spouse: Person | null = null;
  if (p.spouse && typeof p.spouse === 'object') {
    const s = p.spouse as Record<string, unknown>;
    spouse = { idNumber: text(s, 'idNumber', 'spouse.idNumber').trim().toUpperCase(), name: text(s, 'name', 'spouse.name'), hukouDivision: text(s, 'hukouDivision', 'spouse.hukouDivision') };
  } else if (snapshot?.workflow === 'marriage-registration') {
    const other = (snapshot.data as MarriageData).parties.find((q) => q.idNumber !== idNumber);
    if (other) spouse = { idNumber: other.idNumber, name: other.name, hukouDivision: other.hukouDivision };
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
export function deathNoticesFor(funeral: CaseSnapshot, personCases: readonly CaseSnapshot[], notice: DeathNotice, options: ReactionOptions = {}): FollowUpEvent[] {
  const d = funeral.data as { deceasedIdNumber?: string; deathDate?: string; deceased?: Person };
  const id = d.deceasedIdNumber;
  if (!id || !d.deathDate || !d.deceased) return [];
  const sides = [funeral.acceptingDivision, funeral.responsibleDivision];
  const from = options.node && !covers(options.node, funeral.acceptingDivision) && covers(options.node, funeral.responsibleDivision) ? funeral.responsibleDivision : funeral.acceptingDivision;
  const byTarget = new Map<string, string[]>();
  for (const c of personCases) {
    if (c.caseId === funeral.caseId || !c.personKeys.includes(id)) continue;
    const definition = definitionFor(c.workflow);
    if (!definition || !(definition.openStates as readonly string[]).includes(c.state)) continue;
    for (const division of Object.values(definition.roleDivisions(c)).flat()) {
      if (!division || sides.some((s) => covers(s, division) || covers(division, s))) continue;
      byTarget.set(division, [...new Set([...(byTarget.get(division) ?? []), c.caseId])]);
    }
  }
  const events = [...byTarget.entries()].map(([target, caseIds]) =>
    followUp(funeral, 'DeathNoticeIssued', from, target, {
      deceased: d.deceased,
      deathDate: d.deathDate,
      deathRegistrationRef: funeral.caseId,
      knownCaseIds: caseIds,
    }, notice.at, `death-notice:${id}:${target}`, notice.causationId, from === funeral.acceptingDivision ? funeral.acceptingOffice : null),
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
 * A hukou move transfers each active subsidy: the old payer pays through the month of the move (M), the new one
 * from M+1 — no gap, no double month. An application under review is handed over to the new region as it stands.
 */
export function reactToHukouMove(move: HukouMove, cases: readonly CaseSnapshot[], options: ReactionOptions = {}): FollowUpEvent[] {
  const events: FollowUpEvent[] = [];
  const key = (c: CaseSnapshot, what: string) => `hukou-move:${move.moveRef}:${c.caseId}:${what}`;
  for (const c of cases) {
    if (c.workflow !== 'disability-subsidy') continue;
    const d = c.data as SubsidyData;
    if (d.applicantIdNumber !== move.idNumber) continue;
    const payer = d.payerDivision ?? c.responsibleDivision;
    if (payer !== move.fromDivision || move.toDivision === move.fromDivision) continue;
    if (c.state === 'approved' || c.state === 'paying') {
      // Through the month of the move, but never before a month already paid; before any payment the new
      // payer takes the grant from its first month.
      const moved = monthOf(move.movedOn);
      const last =
        c.state === 'approved' && d.firstPaymentMonth
          ? addMonths(d.firstPaymentMonth, -1)
          : d.firstPaidMonth && compareMonths(moved, d.firstPaidMonth) < 0 ? d.firstPaidMonth : moved;
      events.push(
        followUp(c, 'SubsidyTransferred', payer, move.toDivision, {
          person: { idNumber: d.applicantIdNumber, name: d.applicantName, hukouDivision: move.toDivision },
          previousHukouDivision: payer,
          certificateNumber: d.certificateNumber,
          disabilityCategory: d.disabilityCategory,
          disabilityGrade: d.disabilityGrade,
          hardshipStatus: d.hardshipStatus,
          subsidies: (d.grants ?? []).filter((g) => (d.activeTypes ?? []).includes(g.subsidyType)),
          lastMonthPaidByPrevious: last,
          firstMonthPaidByNew: addMonths(last, 1),
          hukouMoveRef: move.moveRef,
          payeeAccount: null,
        }, move.at, key(c, 'SubsidyTransferred')),
      );
    } else if (inState<SubsidyState>(c, SUBSIDY_REVIEW_STATES)) {
      // Under review: the case goes to the new hukou region as it stands, not refused to be made again.
      events.push(
        followUp(c, 'SubsidyCaseHandedOver', c.responsibleDivision, move.toDivision, {
          person: { idNumber: d.applicantIdNumber, name: d.applicantName, hukouDivision: move.toDivision },
          previousHukouDivision: c.responsibleDivision,
          hukouMoveRef: move.moveRef,
          movedOn: move.movedOn,
          caseState: REVIEW_STATE_SYMBOL[c.state],
          openedAt: new Date(c.openedAt),
          acceptingDivision: c.acceptingDivision,
          certificateNumber: d.certificateNumber,
          disabilityCategory: d.disabilityCategory,
          disabilityGrade: d.disabilityGrade,
          subsidyTypes: d.requestedTypes,
          hardshipStatus: d.hardshipStatus,
          extremelyPoor: d.extremelyPoor === true,
          consentRef: String(d.consentRef ?? ''),
        }, move.at, key(c, 'SubsidyCaseHandedOver')),
      );
    }
  }
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

const asPerson = (p: { idNumber: string; name: string; hukouDivision: string }): Person => ({ idNumber: p.idNumber, name: p.name, hukouDivision: p.hukouDivision });

/**
 * A registered marriage or divorce changes the household (at the registering office), and so does the record
 * update reaching a party's record region; any other event does not.
 */
export function householdChangeFor(event: IncomingEvent, snapshot: CaseSnapshot | undefined): HouseholdChange | undefined {
  if (event.eventType === 'MarriageRecordUpdated') {
    const record = maritalRecordFrom(event, snapshot);
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
  if (snapshot?.workflow !== 'marriage-registration') return undefined;
  const kind = event.eventType === 'MarriageRegistered' ? 'spouses-joined' : event.eventType === 'DivorceRegistered' ? 'spouses-separated' : undefined;
  if (!kind) return undefined;
  const [a, b] = (snapshot.data as MarriageData).parties;
  return { kind, members: [a.idNumber, b.idNumber], persons: a.name ? [asPerson(a), asPerson(b)] : undefined, effectiveOn: localDate(event.payload, 'registeredOn'), caseId: snapshot.caseId };
}

/**
 * A household changed: every open economic check of this node naming either spouse is flagged to its requester
 * (EconomicCheckHouseholdChanged), who decides whether to ask again.
 */
export function reactToHouseholdChange(change: HouseholdChange, cases: readonly CaseSnapshot[], at: Date, options: ReactionOptions = {}, causationId?: string): FollowUpEvent[] {
  if (!change.persons) return [];
  const events: FollowUpEvent[] = [];
  for (const c of cases) {
    if (c.workflow !== 'economic-check' || !inState<EconomicCheckState>(c, ECONOMIC_CHECK_OPEN_STATES)) continue;
    for (const [member, spouse] of [change.persons, [change.persons[1], change.persons[0]]] as Array<[Person, Person]>) {
      if (!c.personKeys.includes(member.idNumber)) continue;
      events.push(...householdFlags(c, change.kind === 'spouses-joined' ? 'MARRIAGE' : 'DIVORCE', member, spouse, change.effectiveOn, change.caseId, at, causationId));
    }
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
