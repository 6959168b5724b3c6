import type { CaseSnapshot, FollowUpEvent, IncomingEvent } from '../../casework/domain/casework.types';
import { DeathNotice, HouseholdChange, widowed } from '../../casework/domain/reactions';
import { followUp, WorkflowReactions } from '../../casework/domain/state-machine';
import { localDate, Person } from '../../casework/domain/values';
import { DIVORCE_PENDING_STATES, MARRIAGE_IN_FORCE_STATES, MARRIAGE_PENDING_STATES, MarriageData, MarriageState } from './marriage-registration.state-machine';

const inState = (snapshot: CaseSnapshot, states: readonly MarriageState[]) => (states as readonly string[]).includes(snapshot.state);
const asPerson = (p: { idNumber: string; name: string; hukouDivision: string }): Person => ({
  idNumber: p.idNumber,
  name: p.name,
  hukouDivision: p.hukouDivision,
});

/**
 * A party died: a marriage in force (or a divorce not yet registered) records the survivor as widowed; a marriage
 * registration still pending is refused.
 */
function onDeath(notice: DeathNotice, c: CaseSnapshot): FollowUpEvent[] {
  const id = notice.deceasedIdNumber;
  const d = c.data as MarriageData;
  const deceased = d.parties.find((p) => p.idNumber === id);
  const spouse = d.parties.find((p) => p.idNumber !== id);
  if (!deceased || !spouse) return [];
  const ended = (d.kind === 'marriage' && inState(c, MARRIAGE_IN_FORCE_STATES)) || (d.kind === 'divorce' && inState(c, DIVORCE_PENDING_STATES));
  if (ended) {
    // The registering office holds the case: it tells the survivor's record region, whatever province registered the death.
    return [widowed(notice, c.caseId, c.acceptingDivision, spouse, c.acceptingOffice)];
  }
  if (d.kind === 'marriage' && inState(c, MARRIAGE_PENDING_STATES)) {
    return [
      followUp(
        c,
        'MarriageRegistrationRefused',
        c.acceptingDivision,
        deceased.hukouDivision,
        {
          reasonCode: 'OTHER',
          reasonText: `a party died on ${notice.deathDate}`,
          concernedPartyIdNumber: id,
        },
        notice.at,
        `death:${id}:${c.caseId}:MarriageRegistrationRefused`,
        notice.causationId,
        c.acceptingOffice,
      ),
    ];
  }
  return [];
}

/** A registered marriage or divorce changes the household of its two parties (at the registering office). */
function householdChangeOf(event: IncomingEvent, snapshot: CaseSnapshot): HouseholdChange | undefined {
  const kind = event.eventType === 'MarriageRegistered' ? 'spouses-joined' : event.eventType === 'DivorceRegistered' ? 'spouses-separated' : undefined;
  if (!kind) return undefined;
  const [a, b] = (snapshot.data as MarriageData).parties;
  return {
    kind,
    members: [a.idNumber, b.idNumber],
    persons: a.name ? [asPerson(a), asPerson(b)] : undefined,
    effectiveOn: localDate(event.payload, 'registeredOn'),
    caseId: snapshot.caseId,
  };
}

/** The other party of a marriage case. */
function partnerOf(snapshot: CaseSnapshot, idNumber: string): Person | undefined {
  const other = (snapshot.data as MarriageData).parties.find((q) => q.idNumber !== idNumber);
  return other ? asPerson(other) : undefined;
}

export const marriageRegistrationReactions: WorkflowReactions = { onDeath, householdChangeOf, partnerOf };
