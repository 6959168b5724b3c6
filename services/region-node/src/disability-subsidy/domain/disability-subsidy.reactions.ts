import { addMonths, compareMonths, monthOf } from '../../casework/domain/values';
import type { CaseSnapshot, FollowUpEvent } from '../../casework/domain/casework.types';
import type { DeathNotice, HukouMove } from '../../casework/domain/reactions';
import { followUp, WorkflowReactions } from '../../casework/domain/state-machine';
import { REVIEW_STATE_SYMBOL, SUBSIDY_ACTIVE_STATES, SUBSIDY_REVIEW_STATES, SubsidyData, SubsidyState } from './disability-subsidy.state-machine';

const inState = (snapshot: CaseSnapshot, states: readonly SubsidyState[]) => (states as readonly string[]).includes(snapshot.state);

/**
 * A death stops an active subsidy from the month after death and ends an application under review; the
 * applicant's death only (a subsidy case names no one else).
 */
function onDeath(notice: DeathNotice, c: CaseSnapshot): FollowUpEvent[] {
  const id = notice.deceasedIdNumber;
  const key = (what: string) => `death:${id}:${c.caseId}:${what}`;
  const d = c.data as SubsidyData;
  if (d.applicantIdNumber !== id) return [];
  if (inState(c, SUBSIDY_ACTIVE_STATES) && (d.activeTypes ?? []).length) {
    const payer = d.payerDivision ?? c.responsibleDivision;
    return [
      followUp(
        c,
        'SubsidyStopped',
        payer,
        c.acceptingDivision,
        {
          subsidyTypes: d.activeTypes,
          reason: 'DEATH',
          // Paid for the month of death, not after it.
          effectiveMonth: addMonths(monthOf(notice.deathDate), 1),
          reasonText: `died on ${notice.deathDate} (${notice.sourceCaseId})`,
        },
        notice.at,
        key('SubsidyStopped'),
        notice.causationId,
      ),
    ];
  }
  if (inState(c, SUBSIDY_REVIEW_STATES)) {
    return [
      followUp(
        c,
        'SubsidyRejected',
        c.responsibleDivision,
        c.acceptingDivision,
        {
          reasonCode: 'APPLICANT_DECEASED',
          reasonText: `the applicant died on ${notice.deathDate}`,
          openCaseId: null,
        },
        notice.at,
        key('SubsidyRejected'),
        notice.causationId,
      ),
    ];
  }
  return [];
}

/**
 * A hukou move transfers each active subsidy: the old payer pays through the month of the move (M), the new one
 * from M+1 — no gap, no double month. An application under review is handed over to the new region as it stands.
 */
function onHukouMove(move: HukouMove, c: CaseSnapshot): FollowUpEvent[] {
  const events: FollowUpEvent[] = [];
  const key = (what: string) => `hukou-move:${move.moveRef}:${c.caseId}:${what}`;
  const d = c.data as SubsidyData;
  if (d.applicantIdNumber !== move.idNumber) return events;
  const payer = d.payerDivision ?? c.responsibleDivision;
  if (payer !== move.fromDivision || move.toDivision === move.fromDivision) return events;
  if (c.state === 'approved' || c.state === 'paying') {
    // Through the month of the move, but never before a month already paid; before any payment the new
    // payer takes the grant from its first month.
    const moved = monthOf(move.movedOn);
    const last =
      c.state === 'approved' && d.firstPaymentMonth
        ? addMonths(d.firstPaymentMonth, -1)
        : d.firstPaidMonth && compareMonths(moved, d.firstPaidMonth) < 0
          ? d.firstPaidMonth
          : moved;
    events.push(
      followUp(
        c,
        'SubsidyTransferred',
        payer,
        move.toDivision,
        {
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
        },
        move.at,
        key('SubsidyTransferred'),
      ),
    );
  } else if (inState(c, SUBSIDY_REVIEW_STATES)) {
    // Under review: the case goes to the new hukou region as it stands, not refused to be made again.
    events.push(
      followUp(
        c,
        'SubsidyCaseHandedOver',
        c.responsibleDivision,
        move.toDivision,
        {
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
        },
        move.at,
        key('SubsidyCaseHandedOver'),
      ),
    );
  }
  return events;
}

export const disabilitySubsidyReactions: WorkflowReactions = { onDeath, onHukouMove };
