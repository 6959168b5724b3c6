import type { CaseSnapshot, FollowUpEvent } from '../../casework/domain/casework.types';
import type { DeathNotice } from '../../casework/domain/reactions';
import { followUp, WorkflowReactions } from '../../casework/domain/state-machine';
import type { Person } from '../../casework/domain/values';
import { ECONOMIC_CHECK_OPEN_STATES, householdFlags } from './economic-check.state-machine';

const isOpen = (snapshot: CaseSnapshot) => (ECONOMIC_CHECK_OPEN_STATES as readonly string[]).includes(snapshot.state);

/** A household member died: an open check naming the person is cancelled. */
function onDeath(notice: DeathNotice, c: CaseSnapshot): FollowUpEvent[] {
  if (!isOpen(c)) return [];
  return [
    followUp(
      c,
      'EconomicCheckCancelled',
      c.acceptingDivision,
      c.responsibleDivision,
      {
        reason: 'MEMBER_DECEASED',
        reasonText: `a household member died on ${notice.deathDate}`,
      },
      notice.at,
      `death:${notice.deceasedIdNumber}:${c.caseId}:EconomicCheckCancelled`,
      notice.causationId,
      c.acceptingOffice,
    ),
  ];
}

/** A household changed: an open check naming either spouse is flagged to its requester, who decides whether to ask again. */
const onHouseholdChange: WorkflowReactions['onHouseholdChange'] = (change, c, at, causationId) => {
  if (!isOpen(c)) return [];
  const events: FollowUpEvent[] = [];
  for (const [member, spouse] of [change.persons, [change.persons[1], change.persons[0]]] as Array<[Person, Person]>) {
    if (!c.personKeys.includes(member.idNumber)) continue;
    events.push(
      ...householdFlags(c, change.kind === 'spouses-joined' ? 'MARRIAGE' : 'DIVORCE', member, spouse, change.effectiveOn, change.caseId, at, causationId),
    );
  }
  return events;
};

export const economicCheckReactions: WorkflowReactions = { onDeath, onHouseholdChange };
