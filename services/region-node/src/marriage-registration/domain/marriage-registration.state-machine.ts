import { addDays, endOfShanghaiDay, LocalDate, WorkingCalendar } from '@tongban/calendar';
import { ageOn } from '@tongban/regions';
import { GuardFailedError, UnauthorisedSenderError } from '../../casework/domain/casework.errors';
import type { CaseSnapshot, IncomingEvent } from '../../casework/domain/casework.types';
import { CaseOpening, commonTransitions, TransitionInput, TransitionSpec, WorkflowDefinition } from '../../casework/domain/state-machine';
import { asRecord, happenedBy, idNumber, invalid, localDate, optionalLocalDate, optionalText, person, text } from '../../casework/domain/values';
import { covers } from '@tongban/regions';

/**
 * 婚姻登记跨省通办: registration where the couple lives, status checks with each party's hukou region, then
 * record updates there. Divorce by agreement runs in the same workflow as its own case.
 */
export const MARRIAGE_STATES = [
  'requested',
  'checking', // status checks sent, not all answered
  'checks-complete',
  'registered',
  'recorded', // both hukou regions updated
  'refused',
  'ended-by-death', // a party died: the spouse's record now says widowed (a pending divorce ends the same way)
  'cooling-off', // 离婚冷静期: 30 days, either party may withdraw
  'awaiting-appearance', // the next 30 days: both must appear, else the application is deemed withdrawn
  'divorced',
  'divorce-recorded',
  'divorce-withdrawn',
  'divorce-lapsed',
] as const;
export type MarriageState = (typeof MARRIAGE_STATES)[number];

export const MARRIAGE_IN_FORCE_STATES: readonly MarriageState[] = ['registered', 'recorded'];
export const MARRIAGE_PENDING_STATES: readonly MarriageState[] = ['requested', 'checking', 'checks-complete'];
export const DIVORCE_PENDING_STATES: readonly MarriageState[] = ['cooling-off', 'awaiting-appearance'];

/** Civil Code art. 1047: men may marry from 22, women from 20. */
export const LEGAL_MARRIAGE_AGE: Readonly<Record<'M' | 'F', number>> = { M: 22, F: 20 };
/** Civil Code art. 1077: 30 days to withdraw, then 30 days to appear together; law, not configuration. */
export const DIVORCE_COOLING_OFF_DAYS = 30;
export const DIVORCE_APPEARANCE_DAYS = 30;

export interface MarriageParty {
  idNumber: string;
  name: string;
  hukouDivision: string;
  birthDate: LocalDate;
  sex: 'M' | 'F';
}

export interface MarriageData {
  kind: 'marriage' | 'divorce';
  parties: MarriageParty[];
  checks: Record<string, { idNumber: string; hukouDivision: string; status?: string }>;
  recordsUpdated: string[];
  appointmentDate?: LocalDate;
  registeredOn?: LocalDate;
  certificateNumber?: string;
  refusal?: string;
  filedOn?: LocalDate;
  coolingOffEndsOn?: LocalDate;
  appearBy?: LocalDate;
  [key: string]: unknown;
}

const dataOf = (snapshot: CaseSnapshot) => snapshot.data as MarriageData;

/** Which legal-age rule blocks a party on a date, if any. */
export function underLegalAge(party: Pick<MarriageParty, 'birthDate' | 'sex'>, on: LocalDate): boolean {
  return ageOn(party.birthDate, on) < LEGAL_MARRIAGE_AGE[party.sex];
}

/**
 * The divorce windows from the filing date. Each period starts the day after it begins to run (Civil Code
 * art. 201), and a period whose last day is a statutory rest day ends on the next working day instead (art.
 * 203). The Ministry of Civil Affairs applies both to the divorce periods of art. 1077: 民发〔2020〕116号
 * (关于贯彻落实《中华人民共和国民法典》中有关婚姻登记规定的通知) counts the 30-day cooling-off period from
 * the day after the office receives the application, and moves its last day off a rest day the same way.
 * The appearance window then runs 30 days from the (possibly extended) end of the cooling-off period.
 */
export function divorceWindows(filedOn: LocalDate, calendar: WorkingCalendar): { coolingOffEndsOn: LocalDate; appearBy: LocalDate } {
  const coolingOffEndsOn = calendar.nextWorkingDayOnOrAfter(addDays(filedOn, DIVORCE_COOLING_OFF_DAYS));
  return { coolingOffEndsOn, appearBy: calendar.nextWorkingDayOnOrAfter(addDays(coolingOffEndsOn, DIVORCE_APPEARANCE_DAYS)) };
}

/** The same windows counted without the rest-day rule: what a sender may still state; we keep the extended ones. */
export function plainDivorceWindows(filedOn: LocalDate): { coolingOffEndsOn: LocalDate; appearBy: LocalDate } {
  const coolingOffEndsOn = addDays(filedOn, DIVORCE_COOLING_OFF_DAYS);
  return { coolingOffEndsOn, appearBy: addDays(coolingOffEndsOn, DIVORCE_APPEARANCE_DAYS) };
}

const calendarNext = (calendar: WorkingCalendar, date: LocalDate) => calendar.nextWorkingDayOnOrAfter(date);

function party(value: unknown, path: string, now: Date): MarriageParty {
  const record = asRecord(value, path);
  const p = person(record.person, `${path}.person`, now);
  const id = idNumber(p.idNumber, `${path}.person.idNumber`, now);
  const birthDate = localDate(record, 'birthDate', `${path}.birthDate`);
  if (birthDate !== id.birthDate)
    throw new GuardFailedError('IDENTITY_MISMATCH', `${path}: birth date ${birthDate} differs from the ID number's ${id.birthDate}`);
  const sex = record.sex === 'MALE' ? 'M' : record.sex === 'FEMALE' ? 'F' : undefined;
  if (!sex) throw invalid(`${path}.sex`, 'must be MALE or FEMALE');
  if (sex !== id.sex) throw new GuardFailedError('IDENTITY_MISMATCH', `${path}: sex ${String(record.sex)} differs from the ID number`);
  return { ...p, birthDate, sex };
}

function parties(payload: Record<string, unknown>, now: Date): MarriageParty[] {
  const a = party(payload.partyA, 'partyA', now);
  const b = party(payload.partyB, 'partyB', now);
  if (a.idNumber === b.idNumber) throw new GuardFailedError('IDENTITY_MISMATCH', 'both parties have the same ID number');
  return [a, b];
}

function opening(kind: MarriageData['kind']) {
  return (event: IncomingEvent, payload: Record<string, unknown>, context: { now: Date }): CaseOpening => {
    const [a, b] = parties(payload, context.now);
    return {
      acceptingDivision: optionalText(payload, 'registeringDivision') ?? event.sourceRegion,
      acceptingOffice: optionalText(payload, 'registeringOffice') ?? event.sourceOffice ?? null,
      responsibleDivision: a.hukouDivision,
      personKeys: [a.idNumber, b.idNumber],
      data: { kind, parties: [a, b], checks: {}, recordsUpdated: [] } satisfies MarriageData,
    };
  };
}

function partyOf(d: MarriageData, id: unknown, path: string): MarriageParty {
  const found = d.parties.find(
    (p) =>
      p.idNumber ===
      String(id ?? '')
        .trim()
        .toUpperCase(),
  );
  if (!found) throw new GuardFailedError('NOT_A_PARTY', `${path}: not a party to this case`);
  return found;
}

function checkRequested({ payload, data, event }: TransitionInput) {
  const d = data as MarriageData;
  const checkId = text(payload, 'checkId');
  if (d.checks[checkId]) throw new GuardFailedError('CHECK_EXISTS', `status check ${checkId} was already requested`);
  const p = partyOf(d, asRecord(payload.person, 'person').idNumber, 'person.idNumber');
  if (!covers(event.targetRegion, p.hukouDivision)) {
    throw new GuardFailedError(
      'WRONG_RECORD_HOLDER',
      `the record of ${p.idNumber.slice(0, 6)}… is held by ${p.hukouDivision}, not ${event.targetRegion}`,
      'NOT_RESPONSIBLE',
    );
  }
  return {
    to: d.kind === 'marriage' ? 'checking' : undefined,
    data: { ...d, checks: { ...d.checks, [checkId]: { idNumber: p.idNumber, hukouDivision: p.hukouDivision } } },
  };
}

function checkAnswered({ payload, data, event, snapshot }: TransitionInput) {
  const d = data as MarriageData;
  const checkId = text(payload, 'checkId');
  const check = d.checks[checkId];
  if (!check) throw new GuardFailedError('UNKNOWN_CHECK', `no status check ${checkId} was requested in this case`);
  if (check.status) throw new GuardFailedError('CHECK_ANSWERED', `status check ${checkId} was already answered`);
  // Only the region holding that party's record may answer for it.
  if (!covers(event.sourceRegion, check.hukouDivision)) {
    throw new UnauthorisedSenderError(`status check ${checkId} is answered by ${check.hukouDivision}, not ${event.sourceRegion}`);
  }
  const status = text(payload, 'status');
  if (!['UNMARRIED', 'MARRIED', 'DIVORCED', 'WIDOWED'].includes(status)) throw invalid('status', 'must be UNMARRIED, MARRIED, DIVORCED or WIDOWED');
  const checks = { ...d.checks, [checkId]: { ...check, status } };
  // A party recorded as married cannot marry: the request is refused on that answer, not left waiting.
  if (d.kind === 'marriage' && status === 'MARRIED') {
    return { to: 'refused', data: { ...d, checks, refusal: 'PARTY_MARRIED', refusedParty: check.idNumber } };
  }
  const allAnswered = d.parties.every((p) => Object.values(checks).some((c) => c.idNumber === p.idNumber && c.status));
  const to = d.kind === 'marriage' ? (allAnswered ? 'checks-complete' : 'checking') : snapshot.state;
  return { to, data: { ...d, checks } };
}

function recordUpdated({ payload, data, snapshot, roles }: TransitionInput) {
  const d = data as MarriageData;
  const p = partyOf(d, asRecord(payload.person, 'person').idNumber, 'person.idNumber');
  const newStatus = text(payload, 'newStatus');
  const kind = text(payload, 'registrationKind');
  // The spouse the record keeps is the other party of this case (null only from older senders).
  if (payload.spouse !== undefined && payload.spouse !== null) {
    const spouseId = String(asRecord(payload.spouse, 'spouse').idNumber ?? '')
      .trim()
      .toUpperCase();
    const other = d.parties.find((q) => q.idNumber !== p.idNumber);
    if (!other || spouseId !== other.idNumber) throw new GuardFailedError('SPOUSE_MISMATCH', 'spouse: not the other party of this case');
  }
  const expected: Record<string, [string, string]> = {
    registered: ['MARRIED', 'MARRIAGE'],
    divorced: ['DIVORCED', 'DIVORCE'],
  };
  if (newStatus === 'WIDOWED') {
    // A death ends a marriage in force, and with it a divorce still pending (cooling-off or appearance window).
    const inForce = d.kind === 'marriage' ? MARRIAGE_IN_FORCE_STATES : DIVORCE_PENDING_STATES;
    if (kind !== 'DEATH_OF_SPOUSE' || !inForce.includes(snapshot.state as MarriageState)) {
      throw new GuardFailedError(
        'RECORD_INCONSISTENT',
        `WIDOWED is recorded for the death of a spouse in a marriage in force, not ${kind} in ${snapshot.state}`,
      );
    }
    return { to: 'ended-by-death', data: { ...d, widowed: p.idNumber } };
  }
  const [status, registrationKind] = expected[snapshot.state] ?? [];
  if (newStatus !== status || kind !== registrationKind) {
    throw new GuardFailedError(
      'RECORD_INCONSISTENT',
      `in state ${snapshot.state} the record update is ${status ?? 'not'} ${registrationKind ?? 'allowed'}, not ${newStatus} ${kind}`,
    );
  }
  if (!roles.includes('registry-office')) throw new UnauthorisedSenderError('a registration is recorded by the registering office');
  if (d.recordsUpdated.includes(p.idNumber)) throw new GuardFailedError('RECORD_ALREADY_UPDATED', 'this party’s record was already updated');
  const recordsUpdated = [...d.recordsUpdated, p.idNumber];
  const done = d.parties.every((q) => recordsUpdated.includes(q.idNumber));
  return { to: done ? (d.kind === 'marriage' ? 'recorded' : 'divorce-recorded') : snapshot.state, data: { ...d, recordsUpdated } };
}

const transitions: Record<string, TransitionSpec<MarriageState>> = {
  MarriageRegistrationRequested: {
    from: 'opens-case',
    to: 'requested',
    senders: ['registry-office'],
    opens: opening('marriage'),
    apply: ({ payload, data }) => ({ data: { ...data, appointmentDate: optionalLocalDate(payload, 'appointmentDate') } }),
  },
  MaritalStatusCheckRequested: {
    from: ['requested', 'checking', ...DIVORCE_PENDING_STATES],
    toOneOf: ['checking', ...DIVORCE_PENDING_STATES],
    senders: ['registry-office'],
    apply: checkRequested,
  },
  MaritalStatusCheckAnswered: {
    from: ['checking', ...DIVORCE_PENDING_STATES],
    toOneOf: ['checking', 'checks-complete', 'refused', ...DIVORCE_PENDING_STATES],
    senders: ['responsible'],
    apply: checkAnswered,
  },
  MarriageRegistered: {
    from: ['checks-complete'],
    to: 'registered',
    senders: ['registry-office'],
    refusals: {
      requested: { code: 'STATUS_CHECKS_PENDING', message: "both parties' marital status must be checked first" },
      checking: { code: 'STATUS_CHECKS_PENDING', message: "both parties' marital status must be answered first" },
    },
    apply: ({ payload, data, occurredAt, context }) => {
      const d = data as MarriageData;
      // The age is judged on the day the registration happened, which cannot be after the event reporting it.
      const registeredOn = happenedBy(localDate(payload, 'registeredOn'), 'registeredOn', occurredAt, context.now);
      const married = Object.values(d.checks).find((c) => c.status === 'MARRIED');
      if (married) throw new GuardFailedError('PARTY_MARRIED', `party ${married.idNumber.slice(0, 6)}… is recorded as married by ${married.hukouDivision}`);
      for (const p of d.parties) {
        if (underLegalAge(p, registeredOn)) {
          throw new GuardFailedError(
            'UNDER_LEGAL_AGE',
            `a ${p.sex === 'M' ? 'man' : 'woman'} born ${p.birthDate} is under ${LEGAL_MARRIAGE_AGE[p.sex]} on ${registeredOn}`,
          );
        }
      }
      return { data: { ...d, registeredOn, certificateNumber: text(payload, 'certificateNumber') } };
    },
  },
  MarriageRegistrationRefused: {
    from: MARRIAGE_PENDING_STATES,
    to: 'refused',
    senders: ['registry-office'],
    apply: ({ payload, data }) => ({ data: { ...data, refusal: text(payload, 'reasonCode') } }),
  },
  MarriageRecordUpdated: {
    from: ['registered', 'recorded', 'divorced', ...DIVORCE_PENDING_STATES],
    toOneOf: ['registered', 'recorded', 'ended-by-death', 'divorced', 'divorce-recorded'],
    senders: ['registry-office', 'responsible'],
    apply: recordUpdated,
  },
  DivorceApplicationFiled: {
    from: 'opens-case',
    to: 'cooling-off',
    senders: ['registry-office'],
    opens: opening('divorce'),
    apply: ({ payload, data, context, occurredAt }) => {
      const filedOn = happenedBy(localDate(payload, 'filedOn'), 'filedOn', occurredAt, context.now);
      const windows = divorceWindows(filedOn, context.calendar);
      const stated = { coolingOffEndsOn: optionalLocalDate(payload, 'coolingOffEndsOn'), appearBy: optionalLocalDate(payload, 'appearBy') };
      const plain = plainDivorceWindows(filedOn);
      // Either count is accepted as stated (offices that do not move a period off a rest day yet); the case keeps the extended one.
      const accepted = (value: LocalDate | undefined, ...allowed: LocalDate[]) => value === undefined || allowed.includes(value);
      if (
        !accepted(stated.coolingOffEndsOn, windows.coolingOffEndsOn, plain.coolingOffEndsOn) ||
        !accepted(
          stated.appearBy,
          windows.appearBy,
          plain.appearBy,
          addDays(windows.coolingOffEndsOn, DIVORCE_APPEARANCE_DAYS),
          calendarNext(context.calendar, plain.appearBy),
        )
      ) {
        throw new GuardFailedError(
          'DIVORCE_PERIOD_MISCOMPUTED',
          `filed on ${filedOn}: cooling-off ends ${windows.coolingOffEndsOn}, appearance by ${windows.appearBy}`,
        );
      }
      text(payload, 'marriageCertificateNumber');
      return { data: { ...data, filedOn, ...windows } };
    },
  },
  DivorceApplicationWithdrawn: {
    from: ['cooling-off'],
    to: 'divorce-withdrawn',
    senders: ['registry-office'],
    refusals: { 'awaiting-appearance': { code: 'COOLING_OFF_OVER', message: 'withdrawal is possible only during the 30-day cooling-off period' } },
    apply: ({ payload, data }) => {
      const d = data as MarriageData;
      partyOf(d, payload.withdrawingPartyIdNumber, 'withdrawingPartyIdNumber');
      const on = localDate(payload, 'withdrawnOn');
      if (on > d.coolingOffEndsOn!) throw new GuardFailedError('COOLING_OFF_OVER', `the cooling-off period ended on ${d.coolingOffEndsOn}`);
      return {};
    },
  },
  DivorceRegistered: {
    from: DIVORCE_PENDING_STATES,
    to: 'divorced',
    senders: ['registry-office'],
    apply: ({ payload, data, occurredAt, context }) => {
      const d = data as MarriageData;
      const on = happenedBy(localDate(payload, 'registeredOn'), 'registeredOn', occurredAt, context.now);
      if (on <= d.coolingOffEndsOn!) throw new GuardFailedError('COOLING_OFF_NOT_OVER', `the cooling-off period runs until ${d.coolingOffEndsOn}`);
      if (on > d.appearBy!)
        throw new GuardFailedError('APPEARANCE_WINDOW_CLOSED', `both parties had to appear by ${d.appearBy}; the application is deemed withdrawn`);
      return { data: { ...d, registeredOn: on, certificateNumber: text(payload, 'certificateNumber') } };
    },
  },
  DivorceApplicationLapsed: {
    from: DIVORCE_PENDING_STATES,
    to: 'divorce-lapsed',
    senders: ['registry-office'],
    apply: ({ data, occurredAt }) => {
      const d = data as MarriageData;
      if (occurredAt < endOfShanghaiDay(d.appearBy!)) throw new GuardFailedError('APPEARANCE_WINDOW_OPEN', `the parties may appear until ${d.appearBy}`);
      return {};
    },
  },
  ...commonTransitions<MarriageState>(),
};

export const marriageRegistrationMachine: WorkflowDefinition<MarriageState> = {
  workflow: 'marriage-registration',
  states: MARRIAGE_STATES,
  openStates: [...MARRIAGE_PENDING_STATES, ...MARRIAGE_IN_FORCE_STATES, ...DIVORCE_PENDING_STATES, 'divorced'],
  terminalStates: ['refused', 'ended-by-death', 'divorce-recorded', 'divorce-withdrawn', 'divorce-lapsed'],
  transitions,
  roleDivisions: (snapshot) => ({
    'registry-office': [snapshot.acceptingDivision],
    accepting: [snapshot.acceptingDivision],
    responsible: [...new Set((dataOf(snapshot).parties ?? []).map((p) => p.hukouDivision))],
  }),
  timers: [
    {
      name: 'marriage.status-checks',
      activeIn: ['checking'],
      due: ({ enteredAt, calendar, deadlines }) => calendar.deadline(enteredAt, deadlines.maritalStatusCheck),
      mustAct: (snapshot) => Object.values(dataOf(snapshot).checks).find((c) => !c.status)?.hukouDivision ?? snapshot.responsibleDivision,
      owner: 'registry-office',
      escalateTo: ['responsible'],
      deadlineKind: 'MARITAL_STATUS_CHECK_ANSWER',
      awaitedEventTypes: ['MaritalStatusCheckAnswered'],
      onDue: { kind: 'breach' },
    },
    {
      name: 'divorce.cooling-off',
      activeIn: ['cooling-off'],
      due: ({ snapshot }) => endOfShanghaiDay(dataOf(snapshot).coolingOffEndsOn!),
      mustAct: 'registry-office',
      owner: 'registry-office',
      escalateTo: [],
      deadlineKind: 'DIVORCE_APPEARANCE',
      awaitedEventTypes: ['DivorceApplicationWithdrawn'],
      onDue: { kind: 'advance', to: 'awaiting-appearance' },
    },
    {
      name: 'divorce.appearance',
      activeIn: DIVORCE_PENDING_STATES,
      due: ({ snapshot }) => endOfShanghaiDay(dataOf(snapshot).appearBy!),
      mustAct: 'responsible',
      owner: 'registry-office',
      escalateTo: [],
      deadlineKind: 'DIVORCE_APPEARANCE',
      awaitedEventTypes: ['DivorceRegistered'],
      onDue: { kind: 'emit', eventType: 'DivorceApplicationLapsed', payload: (snapshot) => ({ appearBy: dataOf(snapshot).appearBy }) },
    },
  ],
};
