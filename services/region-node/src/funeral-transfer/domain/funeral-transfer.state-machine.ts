import { covers } from '@tongban/regions';
import { GuardFailedError, UnauthorisedSenderError } from '../../casework/domain/casework.errors';
import type { CaseSnapshot } from '../../casework/domain/casework.types';
import { commonTransitions, TransitionInput, TransitionSpec, WorkflowDefinition } from '../../casework/domain/state-machine';
import { asRecord, happenedBy, idNumber, invalid, localDate, person, text } from '../../casework/domain/values';

/**
 * 殡葬: a death away from home. The place of death is the accepting side, the hukou region grants the
 * funeral-service fee relief (惠民殡葬); funeral service organisations on both sides transport and cremate.
 */
export const FUNERAL_STATES = [
  'death-registered',
  'transport-requested',
  'transport-accepted',
  'remains-transported',
  'cremated',
  'ashes-stored',
  'ashes-returned',
  'subsidy-claimed',
  'subsidy-granted',
  'subsidy-rejected',
] as const;
export type FuneralState = (typeof FUNERAL_STATES)[number];

const SUBSIDY_STATES: readonly FuneralState[] = ['subsidy-claimed', 'subsidy-granted', 'subsidy-rejected'];
const AFTER_CREMATION: readonly FuneralState[] = ['cremated', 'ashes-stored', 'ashes-returned'];

export interface FuneralData {
  deceasedIdNumber: string;
  deceased?: { idNumber: string; name: string; hukouDivision: string };
  hukouDivision: string;
  deathDate: string;
  transportDestination?: string;
  cremationDivision?: string;
  ashes?: 'stored' | 'returned';
  noticesSent?: string[];
  [key: string]: unknown;
}

const dataOf = (snapshot: CaseSnapshot) => snapshot.data as FuneralData;

function sameDeceased({ payload, data }: TransitionInput, field = 'deceased'): void {
  const id = asRecord(payload[field], field).idNumber;
  if (String(id ?? '').toUpperCase() !== (data as FuneralData).deceasedIdNumber) {
    throw new GuardFailedError('PERSON_MISMATCH', `${field} is not the deceased of this case`);
  }
}

function fromDestination({ event, data }: TransitionInput): void {
  const destination = (data as FuneralData).transportDestination;
  if (!destination || !covers(event.sourceRegion, destination)) {
    throw new UnauthorisedSenderError(`the transport is answered by the receiving side ${destination}, not ${event.sourceRegion}`);
  }
}

/** Ashes events do not move a case whose subsidy is already under way; they are recorded beside it. */
function ashes(kind: 'stored' | 'returned') {
  return ({ snapshot, data }: TransitionInput) => ({
    to: SUBSIDY_STATES.includes(snapshot.state as FuneralState) ? snapshot.state : kind === 'stored' ? 'ashes-stored' : 'ashes-returned',
    data: { ...data, ashes: kind },
  });
}

const transitions: Record<string, TransitionSpec<FuneralState>> = {
  DeathRegistered: {
    from: 'opens-case',
    to: 'death-registered',
    senders: ['accepting'],
    opens: (event, payload, context) => {
      const deceased = person(payload.deceased, 'deceased', context.now);
      // The death registration goes to the hukou region (by hukouDivision, never by the ID number's prefix).
      if (!covers(event.targetRegion, deceased.hukouDivision)) {
        throw new GuardFailedError(
          'NOT_HUKOU_REGION',
          `a death is registered with the hukou region ${deceased.hukouDivision}, not ${event.targetRegion}`,
          'NOT_RESPONSIBLE',
        );
      }
      const place = asRecord(payload.placeOfDeath, 'placeOfDeath');
      return {
        acceptingDivision: typeof place.division === 'string' ? place.division : event.sourceRegion,
        acceptingOffice: event.sourceOffice ?? null,
        responsibleDivision: deceased.hukouDivision,
        personKeys: [deceased.idNumber],
      };
    },
    apply: async ({ payload, snapshot, context, occurredAt }) => {
      const deceased = person(payload.deceased, 'deceased', context.now);
      const id = idNumber(deceased.idNumber, 'deceased.idNumber', context.now);
      const birthDate = localDate(payload, 'birthDate');
      if (birthDate !== id.birthDate) throw new GuardFailedError('IDENTITY_MISMATCH', `birth date ${birthDate} differs from the ID number's ${id.birthDate}`);
      const sex = payload.sex === 'MALE' ? 'M' : payload.sex === 'FEMALE' ? 'F' : undefined;
      if (sex !== id.sex) throw new GuardFailedError('IDENTITY_MISMATCH', `sex ${String(payload.sex)} differs from the ID number`);
      const deathDate = localDate(payload, 'deathDate');
      if (deathDate < birthDate) throw invalid('deathDate', `${deathDate} is before the birth`);
      happenedBy(deathDate, 'deathDate', occurredAt, context.now);
      text(payload, 'medicalDeathCertificateNumber');
      // One death, one case: a second registration for the person is pointed to the first (this node remembers deaths).
      const known = await context.lookups.deathOf?.(deceased.idNumber);
      const earlier =
        known && known.sourceCaseId !== snapshot.caseId
          ? known.sourceCaseId
          : (await context.lookups.casesOfPerson(deceased.idNumber, 'funeral-transfer')).find((c) => c.caseId !== snapshot.caseId)?.caseId;
      if (earlier) {
        throw new GuardFailedError(
          'DEATH_ALREADY_REGISTERED',
          `the death of this person is already registered in case ${earlier}; add to that case`,
          'DUPLICATE_CASE',
          earlier,
        );
      }
      // Death notices to the regions with an active case are reactions of the nodes (reactions.ts: deathNoticesFor).
      const data: FuneralData = { deceasedIdNumber: deceased.idNumber, deceased, hukouDivision: deceased.hukouDivision, deathDate };
      return { data };
    },
  },
  RemainsTransportRequested: {
    from: ['death-registered'],
    to: 'transport-requested',
    senders: ['accepting', 'funeral-service'],
    apply: (input) => {
      sameDeceased(input);
      const to = asRecord(input.payload.toOrganisation, 'toOrganisation');
      const destination = typeof to.division === 'string' ? to.division : input.event.targetRegion;
      return { data: { ...input.data, transportDestination: destination } };
    },
  },
  RemainsTransportAccepted: {
    from: ['transport-requested'],
    to: 'transport-accepted',
    senders: ['funeral-service', 'responsible'],
    apply: (input) => (fromDestination(input), {}),
  },
  RemainsTransportRefused: {
    // Refused: the family may ask another organisation or cremate where the death happened.
    from: ['transport-requested'],
    to: 'death-registered',
    senders: ['funeral-service', 'responsible'],
    apply: (input) => (fromDestination(input), { data: { ...input.data, transportDestination: undefined } }),
  },
  RemainsTransported: { from: ['transport-accepted'], to: 'remains-transported', senders: ['funeral-service', 'accepting'] },
  CremationCompleted: {
    from: ['death-registered', 'remains-transported'],
    to: 'cremated',
    senders: ['funeral-service', 'accepting', 'responsible'],
    refusals: {
      'transport-requested': { code: 'REMAINS_IN_TRANSIT', message: 'a transport is pending; cancel it (refusal) before cremating here' },
      'transport-accepted': { code: 'REMAINS_IN_TRANSIT', message: 'the remains are about to be transported' },
    },
    apply: ({ payload, data, event }) => {
      text(payload, 'cremationCertificateNumber');
      const home = asRecord(payload.funeralHome, 'funeralHome');
      return { data: { ...data, cremationDivision: typeof home.division === 'string' ? home.division : event.sourceRegion } };
    },
  },
  AshesStored: {
    from: ['cremated', ...SUBSIDY_STATES],
    toOneOf: ['ashes-stored', ...SUBSIDY_STATES],
    senders: ['funeral-service', 'accepting', 'responsible'],
    apply: ashes('stored'),
  },
  AshesReturned: {
    from: ['cremated', 'ashes-stored', ...SUBSIDY_STATES],
    toOneOf: ['ashes-returned', ...SUBSIDY_STATES],
    senders: ['funeral-service', 'accepting', 'responsible'],
    apply: ashes('returned'),
  },
  FuneralSubsidyClaimed: {
    from: ['remains-transported', ...AFTER_CREMATION],
    to: 'subsidy-claimed',
    senders: ['accepting', 'responsible'],
    refusals: {
      'death-registered': { code: 'NO_SERVICE_YET', message: 'claim the relief after the funeral services (transport or cremation)' },
      'subsidy-claimed': { code: 'ALREADY_CLAIMED', message: 'the relief is already claimed and awaiting a decision' },
      'subsidy-granted': { code: 'ALREADY_GRANTED', message: 'the relief was already granted' },
    },
    apply: (input) => {
      sameDeceased(input);
      if (!covers(input.event.targetRegion, (input.data as FuneralData).hukouDivision)) {
        throw new GuardFailedError(
          'NOT_HUKOU_REGION',
          `the relief is granted by the hukou region ${(input.data as FuneralData).hukouDivision}`,
          'NOT_RESPONSIBLE',
        );
      }
      return {};
    },
  },
  FuneralSubsidyGranted: { from: ['subsidy-claimed'], to: 'subsidy-granted', senders: ['responsible'] },
  FuneralSubsidyRejected: { from: ['subsidy-claimed'], to: 'subsidy-rejected', senders: ['responsible'] },
  DeathNoticeIssued: {
    from: 'any',
    to: 'same',
    senders: ['accepting', 'responsible'],
    apply: (input) => (sameDeceased(input), {}),
  },
  ...commonTransitions<FuneralState>(),
};

export const funeralTransferMachine: WorkflowDefinition<FuneralState> = {
  workflow: 'funeral-transfer',
  states: FUNERAL_STATES,
  openStates: FUNERAL_STATES.filter((s) => s !== 'subsidy-granted' && s !== 'subsidy-rejected'),
  terminalStates: ['subsidy-granted', 'subsidy-rejected'],
  transitions,
  roleDivisions: (snapshot) => {
    const d = dataOf(snapshot);
    return {
      accepting: [snapshot.acceptingDivision],
      responsible: [snapshot.responsibleDivision],
      'funeral-service': [snapshot.acceptingDivision, d.transportDestination, d.cremationDivision].filter((x): x is string => !!x),
    };
  },
  timers: [
    {
      // Remains cannot wait: the receiving side answers within hours, not working days.
      name: 'funeral.transport-answer',
      activeIn: ['transport-requested'],
      due: ({ enteredAt, calendar, deadlines }) => calendar.deadline(enteredAt, deadlines.remainsTransportAnswer),
      mustAct: (snapshot) => dataOf(snapshot).transportDestination ?? snapshot.responsibleDivision,
      owner: 'accepting',
      escalateTo: ['funeral-service', 'responsible'],
      deadlineKind: 'REMAINS_TRANSPORT_ANSWER',
      awaitedEventTypes: ['RemainsTransportAccepted', 'RemainsTransportRefused'],
      onDue: { kind: 'breach' },
    },
    {
      name: 'funeral.subsidy-decision',
      activeIn: ['subsidy-claimed'],
      due: ({ enteredAt, calendar, deadlines }) => calendar.deadline(enteredAt, deadlines.funeralSubsidyDecide),
      mustAct: 'responsible',
      owner: 'accepting',
      escalateTo: ['responsible'],
      deadlineKind: 'FUNERAL_SUBSIDY_DECISION',
      awaitedEventTypes: ['FuneralSubsidyGranted', 'FuneralSubsidyRejected'],
      onDue: { kind: 'breach' },
    },
  ],
};
