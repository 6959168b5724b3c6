import { LocalDate } from '@tongban/calendar';
import { covers } from '@tongban/regions';
import {
  SUBSIDY_ACTIVE_STATES,
  SUBSIDY_REVIEW_STATES,
  SubsidyData,
  SubsidyState,
} from '../../disability-subsidy/domain/disability-subsidy.state-machine';
import { ECONOMIC_CHECK_OPEN_STATES, EconomicCheckState } from '../../economic-check/domain/economic-check.state-machine';
import {
  MARRIAGE_IN_FORCE_STATES,
  MARRIAGE_PENDING_STATES,
  MarriageData,
  MarriageState,
} from '../../marriage-registration/domain/marriage-registration.state-machine';
import type { CaseSnapshot, FollowUpEvent, IncomingEvent } from './casework.types';
import { followUp } from './state-machine';
import { addMonths, asRecord, localDate, monthOf, optionalText, text, toInstant } from './values';

/**
 * Reactions across workflows. Each takes a fact and the person's cases as they are now and proposes follow-up
 * events; the node serving an event's `sourceRegion` publishes it and applies it through `decide`. A case already
 * moved by an earlier run proposes nothing, and `dedupeKey`s are stable: the same fact twice changes nothing.
 */

export interface DeathNotice {
  deceasedIdNumber: string;
  deathDate: LocalDate;
  deathRegistrationRef: string;
  /** The notice's event id, for causation. */
  causationId?: string;
  at: Date;
}

/** Reads a `DeathNoticeIssued` (or `DeathRegistered`) event. */
export function deathNoticeFrom(event: IncomingEvent): DeathNotice {
  const p = event.payload;
  return {
    deceasedIdNumber: text(asRecord(p.deceased, 'deceased'), 'idNumber', 'deceased.idNumber').toUpperCase(),
    deathDate: localDate(p, 'deathDate'),
    deathRegistrationRef: optionalText(p, 'deathRegistrationRef') ?? optionalText(p, 'medicalDeathCertificateNumber') ?? event.eventId,
    causationId: event.eventId,
    at: toInstant(event.occurredAt),
  };
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
              reasonText: `died on ${notice.deathDate} (${notice.deathRegistrationRef})`,
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
        if (d.kind === 'marriage' && inState<MarriageState>(c, MARRIAGE_IN_FORCE_STATES)) {
          events.push(
            followUp(c, 'MarriageRecordUpdated', deceased.hukouDivision, spouse.hukouDivision, {
              person: { idNumber: spouse.idNumber, name: spouse.name, hukouDivision: spouse.hukouDivision },
              newStatus: 'WIDOWED',
              registrationKind: 'DEATH_OF_SPOUSE',
              registrationRef: notice.deathRegistrationRef,
              effectiveOn: notice.deathDate,
            }, notice.at, key(c, 'MarriageRecordUpdated'), notice.causationId),
          );
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
 * from M+1 — no gap, no double month. An application under review ends (HUKOU_MOVED) and is made again there.
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
      const last = monthOf(move.movedOn);
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
      events.push(
        followUp(c, 'SubsidyRejected', c.responsibleDivision, c.acceptingDivision, {
          reasonCode: 'HUKOU_MOVED',
          reasonText: `the hukou moved to ${move.toDivision} on ${move.movedOn}; apply there`,
          openCaseId: null,
        }, move.at, key(c, 'SubsidyRejected')),
      );
    }
  }
  return only(events, options);
}

/** Spouse links that later economic checks read to know a person's household. */
export interface HouseholdChange {
  kind: 'spouses-joined' | 'spouses-separated';
  members: [string, string];
  effectiveOn: LocalDate;
  caseId: string;
}

/** A registered marriage or divorce changes the household; any other event does not. */
export function householdChangeFor(event: IncomingEvent, snapshot: CaseSnapshot): HouseholdChange | undefined {
  if (snapshot.workflow !== 'marriage-registration') return undefined;
  const kind = event.eventType === 'MarriageRegistered' ? 'spouses-joined' : event.eventType === 'DivorceRegistered' ? 'spouses-separated' : undefined;
  if (!kind) return undefined;
  const [a, b] = (snapshot.data as MarriageData).parties;
  return { kind, members: [a.idNumber, b.idNumber], effectiveOn: localDate(event.payload, 'registeredOn'), caseId: snapshot.caseId };
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
