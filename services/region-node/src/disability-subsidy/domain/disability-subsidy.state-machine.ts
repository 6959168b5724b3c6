import { endOfShanghaiDay } from '@tongban/calendar';
import { covers, parseDisabilityCertificate } from '@tongban/regions';
import { carriedHistoryOf } from '../../casework/domain/carried-history';
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
  monthHappenedBy,
  localDate,
  optionalLocalDate,
  person,
  text,
  toInstant,
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

const REVIEW_STATE_OF: Record<string, SubsidyState> = { SUBMITTED: 'submitted', UNDER_REVIEW: 'under-review', MATERIALS_REQUESTED: 'materials-requested' };
export const REVIEW_STATE_SYMBOL: Record<string, string> = Object.fromEntries(Object.entries(REVIEW_STATE_OF).map(([k, v]) => [v, k]));

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

/**
 * The subsidy types a case holds for its applicant, which a new application for the same type must not
 * duplicate: the types asked for while the case is undecided, the types granted and not stopped while it is
 * approved or paying. A refused, withdrawn or lapsed application and a stopped type hold nothing.
 */
export function subsidyTypesHeld(snapshot: Pick<CaseSnapshot, 'workflow' | 'state' | 'data'>): string[] {
  if (snapshot.workflow !== 'disability-subsidy') return [];
  const d = snapshot.data as SubsidyData;
  if ((SUBSIDY_REVIEW_STATES as readonly string[]).includes(snapshot.state)) return d.requestedTypes ?? [];
  if ((SUBSIDY_ACTIVE_STATES as readonly string[]).includes(snapshot.state)) return d.activeTypes ?? [];
  return [];
}
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

/** Hardship statuses that found the living subsidy (困难残疾人生活补贴): 低保, low-income, near-低保; 特困 by its own flag. */
export const HARDSHIP_BASES = ['MINIMUM_LIVING_ALLOWANCE', 'LOW_INCOME', 'NEAR_MINIMUM'] as const;

/**
 * Why a requested type is outside the subsidy, if it is. Nursing (重度残疾人护理补贴): grades 1–2, and grades 3–4
 * only for intellectual or mental disability [SC L188; DZ L197]. Living: a hardship basis (低保, 特困,
 * low-income or near-低保).
 */
export function ineligibility(
  type: string,
  a: { category: string; grade: string; hardshipStatus: string; extremelyPoor: boolean },
): { code: string; text: string } | undefined {
  if (type === 'NURSING') {
    const severe = a.grade === 'GRADE_1' || a.grade === 'GRADE_2';
    const extended = (a.grade === 'GRADE_3' || a.grade === 'GRADE_4') && (a.category === 'INTELLECTUAL' || a.category === 'MENTAL');
    if (!severe && !extended) {
      return {
        code: 'GRADE_NOT_ELIGIBLE',
        text: `the nursing subsidy covers grades 1–2, and grades 3–4 only for intellectual or mental disability, not ${a.category} ${a.grade}`,
      };
    }
  }
  if (type === 'LIVING' && !a.extremelyPoor && !(HARDSHIP_BASES as readonly string[]).includes(a.hardshipStatus)) {
    return { code: 'NOT_IN_HARDSHIP', text: `the living subsidy needs a hardship basis (低保, 特困, low-income or near-低保), not ${a.hardshipStatus}` };
  }
  return undefined;
}

function grantTypes(payload: Record<string, unknown>, field: string): string[] {
  return subsidyTypes(
    list(payload, field).map((g, i) => asRecord(g, `${field}[${i}]`).subsidyType),
    `${field}.subsidyType`,
  );
}

function requireSubset(types: string[], allowed: string[] | undefined, code: string, what: string): void {
  const extra = types.filter((t) => !(allowed ?? []).includes(t));
  if (extra.length)
    throw new GuardFailedError(code, `${extra.join(', ')} ${extra.length > 1 ? 'are' : 'is'} not ${what} (${(allowed ?? []).join(', ') || 'none'})`);
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
    extremelyPoor: payload.extremelyPoor === true,
    consentRef: String(payload.consentRef).trim(),
    requestedTypes: types,
    payerDivision: applicant.hukouDivision,
  };
  // The same person and type may have one open or active case: refuse and point to it (the responsible side decides).
  const others = (await context.lookups.casesOfPerson(applicant.idNumber, 'disability-subsidy')).filter(
    (c) => c.caseId !== event.caseId && (c.data as SubsidyData).applicantIdNumber === applicant.idNumber,
  );
  for (const type of types) {
    const open = others.find((c) => subsidyTypesHeld(c).includes(type));
    if (open) {
      const after = { ...snapshot, data };
      return {
        data,
        emits: [
          followUp(
            after,
            'SubsidyRejected',
            snapshot.responsibleDivision,
            snapshot.acceptingDivision,
            {
              reasonCode: 'DUPLICATE_APPLICATION',
              reasonText: `${type} is already open or paid for this person in case ${open.caseId} (${open.state})`,
              openCaseId: open.caseId,
            },
            occurredAt,
            `duplicate:${event.caseId}`,
          ),
        ],
      };
    }
  }
  // Eligibility is the responsible side's decision: refused with its reason, as a duplicate is.
  for (const type of types) {
    const why = ineligibility(type, {
      category: data.disabilityCategory,
      grade: data.disabilityGrade,
      hardshipStatus: data.hardshipStatus,
      extremelyPoor: data.extremelyPoor === true,
    });
    if (why) {
      const after = { ...snapshot, data };
      return {
        data,
        emits: [
          followUp(
            after,
            'SubsidyRejected',
            snapshot.responsibleDivision,
            snapshot.acceptingDivision,
            {
              reasonCode: why.code,
              reasonText: why.text,
              openCaseId: null,
            },
            occurredAt,
            `ineligible:${event.caseId}`,
          ),
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
      // The hukou region decides: by the hukouDivision stated, never by the ID number's prefix.
      if (!covers(event.targetRegion, applicant.hukouDivision)) {
        throw new GuardFailedError(
          'NOT_HUKOU_REGION',
          `the application is decided by the hukou region ${applicant.hukouDivision}, not ${event.targetRegion}`,
          'NOT_RESPONSIBLE',
        );
      }
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
    apply: ({ payload, data, occurredAt }) => {
      const supplyBy = optionalLocalDate(payload, 'supplyBy');
      // A supply date before the request would lapse the application at once.
      if (supplyBy && supplyBy < localDateOf(occurredAt)) throw invalid('supplyBy', `${supplyBy} is before the request (${localDateOf(occurredAt)})`);
      return { data: { ...data, materialsSupplyBy: supplyBy } };
    },
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
    apply: ({ payload, data, snapshot, occurredAt, context }) => {
      const d = data as SubsidyData;
      const first = monthHappenedBy(month(payload, 'firstPaidMonth'), 'firstPaidMonth', occurredAt, context.now);
      requireSubset(grantTypes(payload, 'payments'), d.activeTypes, 'PAYMENT_NOT_GRANTED', 'granted and active');
      if (snapshot.state === 'transferring' && d.transfer) {
        const expected = d.transfer.firstMonthPaidByNew;
        if (first !== expected) {
          const code = compareMonths(first, expected) > 0 ? 'TRANSFER_GAP' : 'TRANSFER_DOUBLE_MONTH';
          throw new GuardFailedError(
            code,
            `the new payer starts at ${expected} (the previous one paid through ${d.transfer.lastMonthPaidByPrevious}), not ${first}`,
          );
        }
      } else if (d.firstPaymentMonth && compareMonths(first, d.firstPaymentMonth) < 0) {
        throw new GuardFailedError('PAYMENT_BEFORE_GRANT', `the grant starts at ${d.firstPaymentMonth}, not ${first}`);
      }
      return { data: { ...d, firstPaidMonth: d.firstPaidMonth ?? first } };
    },
  },
  SubsidyCaseHandedOver: {
    // A hukou move during review: the case goes on in the new hukou region, in the state it has reached.
    from: SUBSIDY_REVIEW_STATES,
    to: 'same',
    senders: ['responsible'],
    refusals: Object.fromEntries(
      SUBSIDY_ACTIVE_STATES.map((st) => [
        st,
        { code: 'ALREADY_DECIDED', message: 'a granted subsidy moves with SubsidyTransferred (months paid by each region)' },
      ]),
    ),
    adopts: (event, payload, context) => {
      const moved = person(payload.person, 'person', context.now);
      const state = REVIEW_STATE_OF[String(payload.caseState)];
      if (!state) throw invalid('caseState', 'must be SUBMITTED, UNDER_REVIEW or MATERIALS_REQUESTED');
      const previous = text(payload, 'previousHukouDivision');
      const data: SubsidyData = {
        applicantIdNumber: moved.idNumber,
        applicantName: moved.name,
        hukouDivision: previous,
        certificateNumber: text(payload, 'certificateNumber').trim().toUpperCase(),
        disabilityCategory: text(payload, 'disabilityCategory'),
        disabilityGrade: text(payload, 'disabilityGrade'),
        hardshipStatus: text(payload, 'hardshipStatus'),
        extremelyPoor: payload.extremelyPoor === true,
        requestedTypes: subsidyTypes(list(payload, 'subsidyTypes'), 'subsidyTypes'),
        payerDivision: previous,
        consentRef: text(payload, 'consentRef'),
      };
      return {
        state,
        openedAt: toInstant(payload.openedAt, 'openedAt').toISOString(),
        acceptingDivision: text(payload, 'acceptingDivision'),
        acceptingOffice: null,
        responsibleDivision: previous,
        personKeys: [moved.idNumber],
        data,
      };
    },
    apply: ({ payload, data, snapshot, context, occurredAt }) => {
      const d = data as SubsidyData;
      const moved = person(payload.person, 'person', context.now);
      if (moved.idNumber !== d.applicantIdNumber) throw new GuardFailedError('PERSON_MISMATCH', 'the hand-over names another person');
      const previous = text(payload, 'previousHukouDivision');
      if (previous !== snapshot.responsibleDivision)
        throw new GuardFailedError('NOT_RESPONSIBLE', `the case is with ${snapshot.responsibleDivision}, not ${previous}`, 'NOT_RESPONSIBLE');
      if (covers(previous, moved.hukouDivision)) throw new GuardFailedError('NO_MOVE', 'the new hukou division is the old one');
      // The history it carries is checked here; the node keeps it beside the case (see carried-history.ts).
      carriedHistoryOf(payload);
      const handovers = [
        ...(Array.isArray(d.handovers) ? d.handovers : []),
        {
          from: previous,
          to: moved.hukouDivision,
          movedOn: localDate(payload, 'movedOn'),
          hukouMoveRef: text(payload, 'hukouMoveRef'),
          at: occurredAt.toISOString(),
        },
      ];
      // The new region's deadline runs from the hand-over.
      const running = disabilitySubsidyMachine.timers.filter((t) => t.activeIn.includes(snapshot.state as SubsidyState)).map((t) => t.name);
      return {
        caseUpdates: { responsibleDivision: moved.hukouDivision },
        data: { ...d, hukouDivision: moved.hukouDivision, payerDivision: moved.hukouDivision, handovers },
        restartTimers: running,
      };
    },
  },
  SubsidyTransferred: {
    from: ['approved', 'paying'],
    to: 'transferring',
    senders: ['payer'],
    refusals: Object.fromEntries(
      SUBSIDY_REVIEW_STATES.map((s) => [
        s,
        { code: 'TRANSFER_DURING_REVIEW', message: 'a move during review hands the case over (SubsidyCaseHandedOver); nothing has been paid to transfer' },
      ]),
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
      // The old payer's last month must be one it paid: from its first paid month on; before any payment,
      // the new payer takes the grant from its first month.
      if (snapshot.state === 'paying' && d.firstPaidMonth && compareMonths(last, d.firstPaidMonth) < 0) {
        throw new GuardFailedError('TRANSFER_BEFORE_PAID', `${previous} has paid since ${d.firstPaidMonth}; its last month cannot be ${last}`);
      }
      if (snapshot.state === 'approved' && d.firstPaymentMonth && first !== d.firstPaymentMonth) {
        throw new GuardFailedError(
          'TRANSFER_MONTH_NOT_PAID',
          `${previous} has paid no month yet: the new payer starts the grant at ${d.firstPaymentMonth} (previous through ${addMonths(d.firstPaymentMonth, -1)}), not ${first}`,
        );
      }
      requireSubset(grantTypes(payload, 'subsidies'), d.activeTypes, 'TRANSFER_NOT_ACTIVE', 'active');
      return {
        caseUpdates: { responsibleDivision: moved.hukouDivision },
        data: {
          ...d,
          payerDivision: moved.hukouDivision,
          hukouDivision: moved.hukouDivision,
          transfer: { previousDivision: previous, lastMonthPaidByPrevious: last, firstMonthPaidByNew: first },
        },
      };
    },
  },
  SubsidyAdjusted: {
    // A new grade or category after reassessment, or a new standard: the payer changes amounts from a month on.
    from: ['approved', 'paying'],
    to: 'same',
    senders: ['payer'],
    refusals: {
      stopped: { code: 'ALREADY_STOPPED', message: 'the subsidy is stopped; nothing to adjust' },
      transferring: { code: 'TRANSFER_PENDING', message: 'the new payer adjusts once it has started paying' },
      ...Object.fromEntries(
        SUBSIDY_REVIEW_STATES.map((st) => [st, { code: 'NOT_GRANTED', message: 'only a granted subsidy is adjusted; decide the application first' }]),
      ),
    },
    apply: ({ payload, data }) => {
      const d = data as SubsidyData;
      const types = grantTypes(payload, 'grants');
      requireSubset(types, d.activeTypes, 'ADJUSTMENT_NOT_ACTIVE', 'granted and active');
      const effectiveMonth = month(payload, 'effectiveMonth');
      const from = d.firstPaidMonth ?? d.firstPaymentMonth;
      if (from && compareMonths(effectiveMonth, from) < 0)
        throw new GuardFailedError('ADJUSTMENT_BEFORE_GRANT', `the subsidy is paid from ${from}, not ${effectiveMonth}`);
      let category = d.disabilityCategory;
      let grade = d.disabilityGrade;
      let certificateNumber = d.certificateNumber;
      if (payload.certificateNumber !== undefined && payload.certificateNumber !== null) {
        const certificate = parseDisabilityCertificate(payload.certificateNumber);
        if (typeof certificate === 'string') throw invalid('certificateNumber', certificate);
        if (certificate.idNumber !== d.applicantIdNumber)
          throw new GuardFailedError('CERTIFICATE_MISMATCH', "the new certificate's ID part is not the applicant's ID number");
        [category, grade, certificateNumber] = [
          CATEGORY_SYMBOLS[certificate.category - 1],
          `GRADE_${certificate.grade}`,
          String(payload.certificateNumber).trim().toUpperCase(),
        ];
      }
      for (const [field, now] of [
        ['disabilityCategory', category],
        ['disabilityGrade', grade],
      ] as const) {
        if (payload[field] !== undefined && payload[field] !== null && payload[field] !== now) {
          throw new GuardFailedError('CERTIFICATE_MISMATCH', `${field} ${String(payload[field])} is not what the certificate says (${now})`);
        }
      }
      // A reassessment that takes the person outside a subsidy ends it (SubsidyStopped NO_LONGER_ELIGIBLE), not an adjustment.
      for (const type of d.activeTypes ?? []) {
        const why = ineligibility(type, { category, grade, hardshipStatus: d.hardshipStatus, extremelyPoor: d.extremelyPoor === true });
        if (why) throw new GuardFailedError('NO_LONGER_ELIGIBLE', `${why.text}; stop ${type} instead of adjusting it`);
      }
      const amounts = new Map(
        list(payload, 'grants').map((g) => [String((g as Record<string, unknown>).subsidyType), (g as Record<string, unknown>).monthlyAmount]),
      );
      const grants = (d.grants ?? []).map((g) => (amounts.has(g.subsidyType) ? { ...g, monthlyAmount: amounts.get(g.subsidyType) } : g));
      const adjustments = [
        ...(Array.isArray(d.adjustments) ? d.adjustments : []),
        { reason: text(payload, 'reason'), subsidyTypes: types, effectiveMonth, decisionRef: text(payload, 'decisionRef') },
      ];
      return { data: { ...d, grants, disabilityCategory: category, disabilityGrade: grade, certificateNumber, adjustments } };
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
