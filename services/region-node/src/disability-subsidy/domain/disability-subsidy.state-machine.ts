import { endOfShanghaiDay } from '@tongban/calendar';
import { parseDisabilityCertificate } from '@tongban/regions';
import { GuardFailedError } from '../../casework/domain/casework.errors';
import type { CaseSnapshot } from '../../casework/domain/casework.types';
import { commonTransitions, followUp, TransitionInput, TransitionSpec, WorkflowDefinition } from '../../casework/domain/state-machine';
import {
  addMonths,
  asRecord,
  compareMonths,
  invalid,
  list,
  localDateOf,
  month,
  Month,
  optionalLocalDate,
  person,
  text,
} from '../../casework/domain/values';

/** 残疾人两项补贴: living subsidy (生活补贴) and nursing subsidy (护理补贴), decided and paid by the hukou region. */
export const SUBSIDY_STATES = [
  'submitted', // waiting for the responsible office to take the case
  'under-review',
  'materials-requested',
  'approved', // granted, first payment not yet made
  'paying',
  'transferring', // hukou moved: the old payer stopped, the new payer has not started yet
  'rejected',
  'withdrawn',
  'stopped',
] as const;
export type SubsidyState = (typeof SUBSIDY_STATES)[number];

export const SUBSIDY_REVIEW_STATES: readonly SubsidyState[] = ['submitted', 'under-review', 'materials-requested'];
/** Benefits granted and not stopped: what a death notice stops and a hukou move transfers. */
export const SUBSIDY_ACTIVE_STATES: readonly SubsidyState[] = ['approved', 'paying', 'transferring'];
export const SUBSIDY_OPEN_STATES: readonly SubsidyState[] = [...SUBSIDY_REVIEW_STATES, ...SUBSIDY_ACTIVE_STATES];

export const SUBSIDY_TYPES = ['LIVING', 'NURSING'] as const;
const CATEGORY_SYMBOLS = ['VISUAL', 'HEARING', 'SPEECH', 'PHYSICAL', 'INTELLECTUAL', 'MENTAL', 'MULTIPLE'];
const STOP_REASONS = ['DEATH', 'NO_LONGER_ELIGIBLE', 'TRANSFERRED', 'PERSON_REQUEST'];

/** What the subsidy state machine keeps in `CaseSnapshot.data`. */
export interface SubsidyData {
  applicantIdNumber: string;
  applicantName: string;
  hukouDivision: string;
  certificateNumber: string;
  disabilityCategory: string;
  disabilityGrade: string;
  hardshipStatus: string;
  /** As approved: type and monthly amount (decimal as decoded), carried to a new payer on transfer. */
  grants?: Array<{ subsidyType: string; monthlyAmount: unknown }>;
  requestedTypes: string[];
  grantedTypes?: string[];
  activeTypes?: string[];
  firstPaymentMonth?: Month;
  firstPaidMonth?: Month;
  payerDivision?: string;
  materialsSupplyBy?: string;
  transfer?: { previousDivision: string; lastMonthPaidByPrevious: Month; firstMonthPaidByNew: Month };
  stops?: Array<{ subsidyTypes: string[]; reason: string; effectiveMonth: Month }>;
  rejectionReason?: string;
  [key: string]: unknown;
}

const dataOf = (snapshot: CaseSnapshot) => snapshot.data as SubsidyData;
const payerOf = (snapshot: CaseSnapshot) => dataOf(snapshot).payerDivision ?? snapshot.responsibleDivision;

function subsidyTypes(values: unknown[], path: string): string[] {
  const types = values.map((v, i) => {
    if (typeof v !== 'string' || !(SUBSIDY_TYPES as readonly string[]).includes(v)) throw invalid(`${path}[${i}]`, 'must be LIVING or NURSING');
    return v;
  });
  if (types.length === 0) throw invalid(path, 'must name at least one subsidy type');
  if (new Set(types).size !== types.length) throw invalid(path, 'names a subsidy type twice');
  return types;
}

function grantTypes(payload: Record<string, unknown>, field: string): string[] {
  return subsidyTypes(
    list(payload, field).map((g, i) => asRecord(g, `${field}[${i}]`).subsidyType),
    `${field}.subsidyType`,
  );
}

function requireSubset(types: string[], allowed: string[] | undefined, code: string, what: string): void {
  const extra = types.filter((t) => !(allowed ?? []).includes(t));
  if (extra.length) throw new GuardFailedError(code, `${extra.join(', ')} ${extra.length > 1 ? 'are' : 'is'} not ${what} (${(allowed ?? []).join(', ') || 'none'})`);
}

async function submitted({ event, payload, occurredAt, snapshot, context }: TransitionInput) {
  const applicant = person(payload.applicant, 'applicant', context.now);
  const certificate = parseDisabilityCertificate(payload.certificateNumber);
  if (typeof certificate === 'string') throw invalid('certificateNumber', certificate);
  if (certificate.idNumber !== applicant.idNumber) {
    throw new GuardFailedError('CERTIFICATE_MISMATCH', "the certificate's ID part is not the applicant's ID number");
  }
  if (payload.disabilityCategory !== CATEGORY_SYMBOLS[certificate.category - 1] || payload.disabilityGrade !== `GRADE_${certificate.grade}`) {
    throw new GuardFailedError(
      'CERTIFICATE_MISMATCH',
      `the certificate says ${CATEGORY_SYMBOLS[certificate.category - 1]} GRADE_${certificate.grade}, the application ${String(payload.disabilityCategory)} ${String(payload.disabilityGrade)}`,
    );
  }
  const types = subsidyTypes(list(payload, 'subsidyTypes'), 'subsidyTypes');
  if (typeof payload.consentRef !== 'string' || !payload.consentRef.trim()) {
    throw new GuardFailedError('CONSENT_MISSING', "an application carries the applicant's consent reference", 'AUTHORISATION_MISSING');
  }
  const data: SubsidyData = {
    applicantIdNumber: applicant.idNumber,
    applicantName: applicant.name,
    hukouDivision: applicant.hukouDivision,
    certificateNumber: String(payload.certificateNumber).trim().toUpperCase(),
    disabilityCategory: String(payload.disabilityCategory),
    disabilityGrade: String(payload.disabilityGrade),
    hardshipStatus: String(payload.hardshipStatus ?? 'NONE'),
    requestedTypes: types,
    payerDivision: applicant.hukouDivision,
  };
  // The same person and type may have one open or active case: refuse and point to it (the responsible side decides).
  for (const type of types) {
    const open = (await context.lookups.openSubsidyCases(applicant.idNumber, type)).find((c) => c.caseId !== event.caseId);
    if (open) {
      const after = { ...snapshot, data };
      return {
        data,
        emits: [
          followUp(after, 'SubsidyRejected', snapshot.responsibleDivision, snapshot.acceptingDivision, {
            reasonCode: 'DUPLICATE_APPLICATION',
            reasonText: `${type} is already open or paid for this person in case ${open.caseId} (${open.state})`,
            openCaseId: open.caseId,
          }, occurredAt, `duplicate:${event.caseId}`),
        ],
      };
    }
  }
  return { data };
}

const transitions: Record<string, TransitionSpec<SubsidyState>> = {
  SubsidyApplicationSubmitted: {
    from: 'opens-case',
    to: 'submitted',
    senders: ['accepting'],
    opens: (event, payload, context) => {
      const applicant = person(payload.applicant, 'applicant', context.now);
      const residence = payload.residence ? asRecord(payload.residence, 'residence') : {};
      return {
        acceptingDivision: typeof residence.division === 'string' ? residence.division : event.sourceRegion,
        acceptingOffice: event.sourceOffice ?? null,
        responsibleDivision: applicant.hukouDivision,
        personKeys: [applicant.idNumber],
      };
    },
    apply: submitted,
  },
  SubsidyApplicationAcknowledged: { from: ['submitted'], to: 'under-review', senders: ['responsible'] },
  SubsidyMaterialsRequested: {
    from: ['under-review'],
    to: 'materials-requested',
    senders: ['responsible'],
    refusals: { submitted: { code: 'NOT_ACKNOWLEDGED', message: 'acknowledge the application before asking for materials' } },
    apply: ({ payload, data }) => ({ data: { ...data, materialsSupplyBy: optionalLocalDate(payload, 'supplyBy') } }),
  },
  SubsidyMaterialsSupplied: {
    from: ['materials-requested'],
    to: 'under-review',
    senders: ['accepting'],
    apply: ({ snapshot, occurredAt }) => {
      const timer = snapshot.timers['subsidy.materials'];
      if (timer && occurredAt.getTime() > Date.parse(timer.dueAt)) {
        throw new GuardFailedError('MATERIALS_AFTER_LAPSE', `materials were due by ${timer.dueAt}; the application has lapsed`);
      }
      return {};
    },
  },
  SubsidyApproved: {
    from: ['under-review'],
    to: 'approved',
    senders: ['responsible'],
    refusals: {
      submitted: { code: 'NOT_ACKNOWLEDGED', message: 'acknowledge the application before deciding it' },
      'materials-requested': { code: 'MATERIALS_OUTSTANDING', message: 'the requested materials have not been supplied' },
    },
    apply: ({ payload, data }) => {
      const d = data as SubsidyData;
      const granted = grantTypes(payload, 'grants');
      requireSubset(granted, d.requestedTypes, 'GRANT_NOT_REQUESTED', 'requested');
      const grants = list(payload, 'grants').map((g) => {
        const r = g as Record<string, unknown>;
        return { subsidyType: String(r.subsidyType), monthlyAmount: r.monthlyAmount };
      });
      return { data: { ...d, grants, grantedTypes: granted, activeTypes: granted, firstPaymentMonth: month(payload, 'firstPaymentMonth') } };
    },
  },
  SubsidyRejected: {
    from: ['submitted', 'under-review', 'materials-requested'],
    to: 'rejected',
    senders: ['responsible'],
    apply: ({ payload, data }) => ({ data: { ...data, rejectionReason: text(payload, 'reasonCode') } }),
  },
  SubsidyApplicationWithdrawn: {
    from: ['submitted', 'under-review', 'materials-requested'],
    to: 'withdrawn',
    senders: ['accepting'],
    refusals: {
      approved: { code: 'ALREADY_DECIDED', message: 'an application can be withdrawn only before a decision; ask for a stop instead' },
      paying: { code: 'ALREADY_DECIDED', message: 'an application can be withdrawn only before a decision; ask for a stop instead' },
      rejected: { code: 'ALREADY_DECIDED', message: 'the application was already rejected' },
    },
  },
  SubsidyPaymentStarted: {
    from: ['approved', 'transferring'],
    to: 'paying',
    senders: ['payer'],
    refusals: {
      stopped: { code: 'PAYMENT_AFTER_STOP', message: 'the subsidy has been stopped (death, move or request); no payment may start' },
      paying: { code: 'PAYMENT_ALREADY_STARTED', message: 'the first payment has already been made' },
    },
    apply: ({ payload, data, snapshot }) => {
      const d = data as SubsidyData;
      const first = month(payload, 'firstPaidMonth');
      requireSubset(grantTypes(payload, 'payments'), d.activeTypes, 'PAYMENT_NOT_GRANTED', 'granted and active');
      if (snapshot.state === 'transferring' && d.transfer) {
        const expected = d.transfer.firstMonthPaidByNew;
        if (first !== expected) {
          const code = compareMonths(first, expected) > 0 ? 'TRANSFER_GAP' : 'TRANSFER_DOUBLE_MONTH';
          throw new GuardFailedError(code, `the new payer starts at ${expected} (the previous one paid through ${d.transfer.lastMonthPaidByPrevious}), not ${first}`);
        }
      } else if (d.firstPaymentMonth && compareMonths(first, d.firstPaymentMonth) < 0) {
        throw new GuardFailedError('PAYMENT_BEFORE_GRANT', `the grant starts at ${d.firstPaymentMonth}, not ${first}`);
      }
      return { data: { ...d, firstPaidMonth: d.firstPaidMonth ?? first } };
    },
  },
  SubsidyTransferred: {
    from: ['approved', 'paying'],
    to: 'transferring',
    senders: ['payer'],
    refusals: Object.fromEntries(
      SUBSIDY_REVIEW_STATES.map((s) => [s, { code: 'TRANSFER_DURING_REVIEW', message: 'a move during review ends the application (SubsidyRejected HUKOU_MOVED); apply again in the new hukou region' }]),
    ),
    apply: ({ payload, data, snapshot, context }) => {
      const d = data as SubsidyData;
      const moved = person(payload.person, 'person', context.now);
      if (moved.idNumber !== d.applicantIdNumber) throw new GuardFailedError('PERSON_MISMATCH', 'the transfer names another person');
      const previous = text(payload, 'previousHukouDivision');
      if (previous !== payerOf(snapshot)) throw new GuardFailedError('NOT_THE_PAYER', `the subsidy is paid by ${payerOf(snapshot)}, not ${previous}`);
      if (moved.hukouDivision === previous) throw new GuardFailedError('NO_MOVE', 'the new hukou division is the old one');
      const last = month(payload, 'lastMonthPaidByPrevious');
      const first = month(payload, 'firstMonthPaidByNew');
      // No gap, no double month: the new payer starts the month after the old payer's last.
      if (first !== addMonths(last, 1)) {
        const code = compareMonths(first, addMonths(last, 1)) > 0 ? 'TRANSFER_GAP' : 'TRANSFER_DOUBLE_MONTH';
        throw new GuardFailedError(code, `the previous payer pays through ${last}, so the new one starts at ${addMonths(last, 1)}, not ${first}`);
      }
      requireSubset(grantTypes(payload, 'subsidies'), d.activeTypes, 'TRANSFER_NOT_ACTIVE', 'active');
      return {
        caseUpdates: { responsibleDivision: moved.hukouDivision },
        data: { ...d, payerDivision: moved.hukouDivision, hukouDivision: moved.hukouDivision, transfer: { previousDivision: previous, lastMonthPaidByPrevious: last, firstMonthPaidByNew: first } },
      };
    },
  },
  SubsidyStopped: {
    from: ['approved', 'paying', 'transferring'],
    toOneOf: ['stopped', 'approved', 'paying', 'transferring'],
    senders: ['payer', 'responsible'],
    refusals: { stopped: { code: 'ALREADY_STOPPED', message: 'the subsidy is already stopped' } },
    apply: ({ payload, data, snapshot }) => {
      const d = data as SubsidyData;
      const types = subsidyTypes(list(payload, 'subsidyTypes'), 'subsidyTypes');
      requireSubset(types, d.activeTypes, 'STOP_NOT_ACTIVE', 'active');
      const reason = text(payload, 'reason');
      if (!STOP_REASONS.includes(reason)) throw invalid('reason', `must be one of ${STOP_REASONS.join(', ')}`);
      const effectiveMonth = month(payload, 'effectiveMonth');
      const activeTypes = (d.activeTypes ?? []).filter((t) => !types.includes(t));
      return {
        to: activeTypes.length ? snapshot.state : 'stopped',
        data: { ...d, activeTypes, stops: [...(d.stops ?? []), { subsidyTypes: types, reason, effectiveMonth }] },
      };
    },
  },
  ...commonTransitions<SubsidyState>(),
};

export const disabilitySubsidyMachine: WorkflowDefinition<SubsidyState> = {
  workflow: 'disability-subsidy',
  states: SUBSIDY_STATES,
  openStates: SUBSIDY_OPEN_STATES,
  terminalStates: ['rejected', 'withdrawn', 'stopped'],
  transitions,
  roleDivisions: (snapshot) => ({
    accepting: [snapshot.acceptingDivision],
    responsible: [snapshot.responsibleDivision],
    payer: [payerOf(snapshot)],
  }),
  timers: [
    {
      name: 'subsidy.acknowledge',
      activeIn: ['submitted'],
      due: ({ enteredAt, calendar, deadlines }) => calendar.deadline(enteredAt, deadlines.subsidyAcknowledge),
      mustAct: 'responsible',
      owner: 'accepting',
      escalateTo: ['responsible'],
      deadlineKind: 'SUBSIDY_ACKNOWLEDGEMENT',
      awaitedEventTypes: ['SubsidyApplicationAcknowledged'],
      onDue: { kind: 'breach' },
    },
    {
      // "Within 20 working days of the last material": re-entering review after materials restarts it.
      name: 'subsidy.decide',
      activeIn: ['under-review'],
      due: ({ enteredAt, calendar, deadlines }) => calendar.deadline(enteredAt, deadlines.subsidyDecide),
      mustAct: 'responsible',
      owner: 'accepting',
      escalateTo: ['responsible'],
      deadlineKind: 'SUBSIDY_DECISION',
      awaitedEventTypes: ['SubsidyApproved', 'SubsidyRejected', 'SubsidyMaterialsRequested'],
      onDue: { kind: 'breach' },
    },
    {
      // The office may set an earlier supply date; otherwise the configured period. Unsupplied: the application lapses.
      name: 'subsidy.materials',
      activeIn: ['materials-requested'],
      due: ({ snapshot, enteredAt, calendar, deadlines }) => {
        const supplyBy = dataOf(snapshot).materialsSupplyBy;
        const configured = calendar.deadline(enteredAt, deadlines.subsidyMaterials);
        return supplyBy && endOfShanghaiDay(supplyBy) < configured ? endOfShanghaiDay(supplyBy) : configured;
      },
      mustAct: 'accepting',
      owner: 'responsible',
      escalateTo: ['accepting'],
      deadlineKind: 'SUBSIDY_MATERIALS_SUPPLY',
      awaitedEventTypes: ['SubsidyMaterialsSupplied'],
      onDue: {
        kind: 'emit',
        eventType: 'SubsidyRejected',
        payload: (_snapshot, dueAt) => ({
          reasonCode: 'MATERIALS_NOT_SUPPLIED',
          reasonText: `the requested materials were not supplied by ${localDateOf(new Date(dueAt.getTime() - 1))}; the application has lapsed`,
          openCaseId: null,
        }),
      },
    },
  ],
};
