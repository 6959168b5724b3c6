import { endOfShanghaiDay } from '@tongban/calendar';
import { GuardFailedError } from '../../casework/domain/casework.errors';
import type { CaseSnapshot, FollowUpEvent, KnownSpouse } from '../../casework/domain/casework.types';
import { commonTransitions, TransitionSpec, WorkflowDefinition } from '../../casework/domain/state-machine';
import { ageOn } from '@tongban/regions';
import { asRecord, idNumber, invalid, list, localDate, localDateOf, person, Person, text } from '../../casework/domain/values';

/**
 * 家庭经济状况核对: the requesting office asks the check centre of the region holding a member's data. No
 * signed authorisation (授权书), no check; the answer goes only to the requesting office.
 */
export const ECONOMIC_CHECK_STATES = ['requested', 'acknowledged', 'partially-answered', 'answered', 'expired', 'cancelled'] as const;
export type EconomicCheckState = (typeof ECONOMIC_CHECK_STATES)[number];

export const ECONOMIC_CHECK_OPEN_STATES: readonly EconomicCheckState[] = ['requested', 'acknowledged', 'partially-answered'];

/** Age of majority: every member of 18 or more signs an authorisation of their own (授权书). */
export const ADULT_AGE = 18;

export interface EconomicCheckData {
  memberIdNumbers: string[];
  /** Per member: whether an adult on the request date, and the authorisation they signed. */
  authorisations?: Record<string, string | null>;
  /** Member–item pairs answered so far (`<idNumber>:<item>`). */
  answered?: string[];
  items: string[];
  purpose: string;
  authorisationRef: string;
  answerBy: string;
  answeredMembers?: string[];
  missingItems?: Array<{ idNumber: string; item: string; reasonText?: string | null }>;
  cancellation?: string;
  householdChanges?: Array<{ change: string; member: string; spouse: string; effectiveOn: string; marriageCaseId: string }>;
  [key: string]: unknown;
}

const dataOf = (snapshot: CaseSnapshot) => snapshot.data as EconomicCheckData;

/**
 * The flag to the requesting office that a member's household changed. Either side of the check may be the node
 * that learns it: both candidates carry the same id, and each node publishes only its own side's.
 */
export function householdFlags(
  check: Pick<CaseSnapshot, 'caseId' | 'acceptingDivision' | 'acceptingOffice' | 'responsibleDivision'>,
  change: 'MARRIAGE' | 'DIVORCE',
  member: Person,
  spouse: Person,
  effectiveOn: string,
  marriageCaseId: string,
  at: Date,
  causationId?: string,
): FollowUpEvent[] {
  const payload = {
    change,
    member: { idNumber: member.idNumber, name: member.name, hukouDivision: member.hukouDivision },
    spouse: { idNumber: spouse.idNumber, name: spouse.name, hukouDivision: spouse.hukouDivision },
    effectiveOn,
    marriageCaseId,
  };
  return [...new Set([check.acceptingDivision, check.responsibleDivision])].map((from) => ({
    eventType: 'EconomicCheckHouseholdChanged',
    caseId: check.caseId,
    sourceRegion: from,
    targetRegion: check.acceptingDivision,
    sourceOffice: from === check.acceptingDivision ? (check.acceptingOffice ?? null) : null,
    targetOffice: from === check.acceptingDivision ? null : (check.acceptingOffice ?? null),
    occurredAt: at,
    causationId,
    dedupeKey: `household:${check.caseId}:${marriageCaseId}:${change}:${member.idNumber}`,
    payload,
  }));
}

const CLOSED_REFUSALS = {
  expired: { code: 'ANSWER_AFTER_EXPIRY', message: 'the check expired before a full answer; the requesting office has moved on' },
  cancelled: { code: 'CHECK_CANCELLED', message: 'the check was cancelled (the application ended)' },
  answered: { code: 'ALREADY_ANSWERED', message: 'the check was already answered in full' },
};

/**
 * What an economic check asks the node beyond the common lookups: the applicant's current spouse as the node
 * knows it (a marriage registered here, or the record it holds), to flag a spouse the request leaves out.
 */
export interface EconomicCheckLookups {
  spouseOf(idNumber: string): Promise<KnownSpouse | undefined> | KnownSpouse | undefined;
}

const transitions: Record<string, TransitionSpec<EconomicCheckState, EconomicCheckLookups>> = {
  EconomicCheckRequested: {
    from: 'opens-case',
    to: 'requested',
    senders: ['accepting'],
    opens: (event, payload, context) => ({
      acceptingDivision: event.sourceRegion,
      acceptingOffice: event.sourceOffice ?? null,
      responsibleDivision: event.targetRegion,
      personKeys: list(payload, 'members').map((m, i) => person(asRecord(m, `members[${i}]`).person, `members[${i}].person`, context.now).idNumber),
    }),
    apply: async ({ payload, snapshot, occurredAt, context }) => {
      if (typeof payload.authorisationRef !== 'string' || !payload.authorisationRef.trim()) {
        throw new GuardFailedError('AUTHORISATION_MISSING', "no check without the members' signed authorisation (授权书)", 'AUTHORISATION_MISSING');
      }
      // One signed authorisation per adult member: a minor is covered by the household's.
      const requestedOn = localDateOf(occurredAt);
      const authorisations: Record<string, string | null> = {};
      list(payload, 'members').forEach((m, i) => {
        const member = asRecord(m, `members[${i}]`);
        const id = idNumber(asRecord(member.person, `members[${i}].person`).idNumber, `members[${i}].person.idNumber`, context.now);
        const ref = typeof member.authorisationRef === 'string' && member.authorisationRef.trim() ? member.authorisationRef.trim() : null;
        if (!ref && ageOn(id.birthDate, requestedOn) >= ADULT_AGE) {
          throw new GuardFailedError(
            'AUTHORISATION_MISSING',
            `members[${i}]: an adult member signs an authorisation of their own (授权书); none given`,
            'AUTHORISATION_MISSING',
          );
        }
        authorisations[id.value] = ref;
      });
      if (snapshot.personKeys.length === 0) throw invalid('members', 'must name at least one household member');
      if (new Set(snapshot.personKeys).size !== snapshot.personKeys.length) throw invalid('members', 'names a person twice');
      const items = list(payload, 'items').map((x, i) => {
        if (typeof x !== 'string') throw invalid(`items[${i}]`, 'must be a check item');
        return x;
      });
      if (items.length === 0) throw invalid('items', 'must request at least one item');
      const answerBy = localDate(payload, 'answerBy');
      if (answerBy <= localDateOf(occurredAt)) throw invalid('answerBy', `${answerBy} is not after the request date`);
      // The household the node knows: a spouse of the applicant the request leaves out is flagged to the requester.
      const emits = [];
      const self = list(payload, 'members')
        .map((m) => asRecord(m, 'members[]'))
        .find((m) => m.relation === 'SELF');
      if (self) {
        const applicant = person(self.person, 'members[].person', context.now);
        const spouse = await context.lookups.spouseOf(applicant.idNumber);
        if (spouse && !snapshot.personKeys.includes(spouse.idNumber)) {
          emits.push(...householdFlags(snapshot, 'MARRIAGE', applicant, spouse, spouse.since, spouse.caseId, occurredAt));
        }
      }
      return {
        emits,
        data: {
          memberIdNumbers: snapshot.personKeys,
          items,
          purpose: text(payload, 'purpose'),
          authorisationRef: payload.authorisationRef,
          authorisations,
          answered: [],
          answerBy,
        } satisfies EconomicCheckData,
      };
    },
  },
  EconomicCheckAcknowledged: {
    from: ['requested'],
    to: 'acknowledged',
    senders: ['check-centre'],
    refusals: CLOSED_REFUSALS,
  },
  EconomicCheckAnswered: {
    from: ECONOMIC_CHECK_OPEN_STATES,
    toOneOf: ['answered', 'partially-answered'],
    senders: ['check-centre'],
    refusals: CLOSED_REFUSALS,
    apply: ({ payload, data }) => {
      const d = data as EconomicCheckData;
      const results = list(payload, 'results').map((r, i) => asRecord(r, `results[${i}]`));
      // Minimisation both ways: the centre answers for the members asked about, nobody else.
      const strangers = results.map((r) => String(r.idNumber ?? '').toUpperCase()).filter((id) => !d.memberIdNumbers.includes(id));
      if (strangers.length) throw new GuardFailedError('MEMBER_NOT_REQUESTED', `${strangers.length} result(s) concern people the request did not name`);
      // The answer is judged against the request, not by its own `complete` flag: every member and item asked.
      const notAsked = results.flatMap((r, i) =>
        (Array.isArray(r.items) ? r.items : []).map((x) => String(asRecord(x, `results[${i}].items[]`).item)).filter((item) => !d.items.includes(item)),
      );
      if (notAsked.length) throw new GuardFailedError('ITEM_NOT_REQUESTED', `the request did not ask for ${[...new Set(notAsked)].join(', ')}`);
      const pairs = results.flatMap((r) =>
        (Array.isArray(r.items) ? r.items : []).map((x) => `${String(r.idNumber).toUpperCase()}:${String((x as Record<string, unknown>).item)}`),
      );
      const answered = [...new Set([...(d.answered ?? []), ...pairs])];
      const reasons = new Map(
        (Array.isArray(payload.missingItems) ? payload.missingItems : []).map((m, i) => {
          const r = asRecord(m, `missingItems[${i}]`);
          return [`${String(r.idNumber).toUpperCase()}:${String(r.item)}`, typeof r.reasonText === 'string' ? r.reasonText : null] as const;
        }),
      );
      const missing = d.memberIdNumbers.flatMap((id) =>
        d.items.filter((item) => !answered.includes(`${id}:${item}`)).map((item) => ({ idNumber: id, item, reasonText: reasons.get(`${id}:${item}`) ?? null })),
      );
      const answeredMembers = [...new Set([...(d.answeredMembers ?? []), ...results.map((r) => String(r.idNumber).toUpperCase())])];
      return { to: missing.length === 0 ? 'answered' : 'partially-answered', data: { ...d, answered, answeredMembers, missingItems: missing } };
    },
  },
  EconomicCheckHouseholdChanged: {
    // A flag, not a move: the requester sees that the household changed and decides whether to ask again.
    from: ECONOMIC_CHECK_OPEN_STATES,
    to: 'same',
    senders: ['accepting', 'check-centre'],
    refusals: CLOSED_REFUSALS,
    apply: ({ payload, data, event }) => {
      const d = data as EconomicCheckData;
      const member = asRecord(payload.member, 'member');
      const id = String(member.idNumber ?? '')
        .trim()
        .toUpperCase();
      if (!d.memberIdNumbers.includes(id)) throw new GuardFailedError('MEMBER_NOT_REQUESTED', 'member: not a member named by this check');
      const spouse = asRecord(payload.spouse, 'spouse');
      const change = {
        change: text(payload, 'change'),
        member: id,
        spouse: String(spouse.idNumber ?? '').toUpperCase(),
        effectiveOn: localDate(payload, 'effectiveOn'),
        marriageCaseId: text(payload, 'marriageCaseId'),
        eventId: event.eventId,
      };
      return { data: { ...d, householdChanges: [...(d.householdChanges ?? []), change] } };
    },
  },
  EconomicCheckExpired: {
    from: ECONOMIC_CHECK_OPEN_STATES,
    to: 'expired',
    senders: ['accepting'],
    refusals: { answered: CLOSED_REFUSALS.answered, cancelled: CLOSED_REFUSALS.cancelled },
    apply: ({ snapshot, occurredAt }) => {
      const timer = snapshot.timers['economic-check.answer'];
      if (timer && occurredAt.getTime() < Date.parse(timer.dueAt)) {
        throw new GuardFailedError('NOT_YET_DUE', `the check centre has until ${timer.dueAt}`);
      }
      return {};
    },
  },
  EconomicCheckCancelled: {
    from: ECONOMIC_CHECK_OPEN_STATES,
    to: 'cancelled',
    senders: ['accepting'],
    refusals: { answered: CLOSED_REFUSALS.answered, expired: { code: 'ALREADY_EXPIRED', message: 'the check already expired' } },
    apply: ({ payload, data }) => ({ data: { ...data, cancellation: text(payload, 'reason') } }),
  },
  ...commonTransitions<EconomicCheckState, EconomicCheckLookups>(),
};

export const economicCheckMachine: WorkflowDefinition<EconomicCheckState, EconomicCheckLookups> = {
  workflow: 'economic-check',
  states: ECONOMIC_CHECK_STATES,
  openStates: ECONOMIC_CHECK_OPEN_STATES,
  terminalStates: ['answered', 'expired', 'cancelled'],
  transitions,
  roleDivisions: (snapshot) => ({
    accepting: [snapshot.acceptingDivision],
    'check-centre': [snapshot.responsibleDivision],
    responsible: [snapshot.responsibleDivision],
  }),
  timers: [
    {
      // The centre has at least the agreed period; a requester may grant more through answerBy.
      name: 'economic-check.answer',
      activeIn: ECONOMIC_CHECK_OPEN_STATES,
      due: ({ snapshot, enteredAt, calendar, deadlines }) => {
        const agreed = calendar.deadline(enteredAt, deadlines.economicCheckAnswer);
        const requested = endOfShanghaiDay(dataOf(snapshot).answerBy);
        return requested > agreed ? requested : agreed;
      },
      mustAct: 'check-centre',
      owner: 'accepting',
      escalateTo: ['check-centre'],
      deadlineKind: 'ECONOMIC_CHECK_ANSWER',
      awaitedEventTypes: ['EconomicCheckAnswered'],
      onDue: {
        kind: 'emit',
        eventType: 'EconomicCheckExpired',
        payload: (snapshot) => ({ answerBy: dataOf(snapshot).answerBy, partialAnswerReceived: snapshot.state === 'partially-answered' }),
      },
    },
  ],
};
