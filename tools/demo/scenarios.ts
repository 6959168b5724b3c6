import type { EventBody } from '../contracts/examples';
import { CaseView, Scenario } from './scenario';

/**
 * The demo scenario of the domain brief, with fictional people (ID numbers have valid check digits).
 * Case ids are the examples' ids; the player appends a run id to each.
 */
const LI = { idNumber: '500111196804170022', name: '李秀英', hukouDivision: '500111' };
const ZHAO = { idNumber: '500111194109030045', name: '赵桂兰', hukouDivision: '500111' };
const ZHANG = { idNumber: '512021195012010019', name: '张德福', hukouDivision: '512021' };
const CHEN = { idNumber: '500107199802210069', name: '陈芳', hukouDivision: '500107' };
const WANG = { idNumber: '512021199611080033', name: '王建国', hukouDivision: '512021' };
const ZHAO_SUBSIDY = 'SUB-510104-2024-000087';

const refusedWith = (eventType: string, reason: string) => (c: CaseView) =>
  (c.history ?? []).some((h) => h.eventType === eventType && (h.outcome === 'rejected' || JSON.stringify(h.payload ?? {}).includes(reason)))
    ? ''
    : `no ${eventType} with ${reason} in the history yet`;

const payloadOf = (b: EventBody) => b.payload as Record<string, unknown>;
const daysFromNow = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

export const SCENARIOS: Scenario[] = [
  {
    title: '残疾人两项补贴 — 李秀英 (hukou Dazu, lives in Chengdu) applies in Chengdu for both subsidies',
    steps: [
      {
        say: 'Chengdu-Jinjiang accepts her application and hands it to Dazu, her hukou region',
        key: 'dev-chengdu',
        eventType: 'SubsidyApplicationSubmitted',
        expectCase: { key: 'dev-dazu', state: 'submitted', view: 'full' },
      },
      {
        say: 'Dazu acknowledges: the case is under review (the 2-working-day deadline is met)',
        key: 'dev-dazu',
        eventType: 'SubsidyApplicationAcknowledged',
        expectCase: { key: 'dev-dazu', state: 'under-review' },
      },
      {
        say: 'Dazu asks for her 低保 certificate and the payee account',
        key: 'dev-dazu',
        eventType: 'SubsidyMaterialsRequested',
        // The example's supply date lies in the past (examples stay valid on any day); the demo asks for 30 days from today.
        patch: (b) => (payloadOf(b).supplyBy = daysFromNow(30)),
        expectCase: { key: 'dev-chengdu', state: 'materials-requested', view: 'status' },
      },
      {
        say: 'Chengdu supplies them (the account travels only to the payer)',
        key: 'dev-chengdu',
        eventType: 'SubsidyMaterialsSupplied',
        expectCase: { key: 'dev-dazu', state: 'under-review' },
      },
      {
        say: 'Dazu approves 95.00 + 100.00 yuan a month from 2026-11',
        key: 'dev-dazu',
        eventType: 'SubsidyApproved',
        expectCase: { key: 'dev-dazu', state: 'approved' },
      },
      {
        say: 'Dazu makes the first payment',
        key: 'dev-dazu',
        eventType: 'SubsidyPaymentStarted',
        expectCases: [
          { key: 'dev-dazu', state: 'paying' },
          { key: 'dev-chengdu', state: 'paying', view: 'status' },
        ],
      },
    ],
  },
  {
    title: '婚姻登记 — 王建国 (hukou Anyue) and 陈芳 (hukou Jiulongpo) marry at the Chongqing high-tech zone office',
    steps: [
      {
        say: 'The high-tech zone office books the registration',
        key: 'dev-cqhtz',
        eventType: 'MarriageRegistrationRequested',
        expectCase: { key: 'dev-cqhtz', state: 'requested', view: 'full' },
      },
      {
        say: 'It asks Anyue for 王建国’s marital status',
        key: 'dev-cqhtz',
        eventType: 'MaritalStatusCheckRequested',
        expectCase: { key: 'dev-cqhtz', state: 'checking' },
      },
      {
        say: 'It asks Jiulongpo for 陈芳’s marital status',
        key: 'dev-cqhtz',
        eventType: 'MaritalStatusCheckRequested',
        patch: (b) => {
          b.targetRegion = '500107';
          Object.assign(payloadOf(b), { checkId: 'MAR-CQHTZ-2026-000045-B', person: CHEN });
        },
        expectCase: { key: 'dev-cqhtz', state: 'checking' },
      },
      {
        say: 'Anyue answers: unmarried (the status, not any spouse details)',
        key: 'dev-anyue',
        eventType: 'MaritalStatusCheckAnswered',
        expectCases: [
          { key: 'dev-cqhtz', state: 'checking' },
          { key: 'dev-anyue', view: 'participant' },
        ],
      },
      {
        say: 'Jiulongpo answers: unmarried',
        key: 'dev-chongqing',
        eventType: 'MaritalStatusCheckAnswered',
        patch: (b) => {
          b.sourceRegion = '500107';
          payloadOf(b).checkId = 'MAR-CQHTZ-2026-000045-B';
        },
        expectCase: { key: 'dev-cqhtz', state: 'checks-complete' },
      },
      {
        say: 'The couple appears; the office registers the marriage',
        key: 'dev-cqhtz',
        eventType: 'MarriageRegistered',
        expectCase: { key: 'dev-cqhtz', state: 'registered' },
      },
      {
        say: 'Anyue’s record of 王建国 is updated to married',
        key: 'dev-cqhtz',
        eventType: 'MarriageRecordUpdated',
        expectCase: { key: 'dev-cqhtz', state: 'registered' },
      },
      {
        say: 'Jiulongpo’s record of 陈芳 is updated to married',
        key: 'dev-cqhtz',
        eventType: 'MarriageRecordUpdated',
        patch: (b) => {
          b.targetRegion = '500107';
          Object.assign(payloadOf(b), { person: CHEN, spouse: WANG });
        },
        expectCase: { key: 'dev-cqhtz', state: 'recorded' },
      },
    ],
  },
  {
    title: '家庭经济状况核对 — 刘强 applies for 低保 in Chengdu; his mother 刘梅 has a pension and a flat in Dazu',
    steps: [
      {
        say: 'Chengdu asks Dazu’s check centre, with the members’ signed authorisation',
        key: 'dev-chengdu',
        eventType: 'EconomicCheckRequested',
        patch: (b) => (payloadOf(b).answerBy = daysFromNow(20)),
        expectCase: { key: 'dev-chengdu', state: 'requested', view: 'full' },
      },
      {
        say: 'Dazu acknowledges the request',
        key: 'dev-dazu',
        eventType: 'EconomicCheckAcknowledged',
        expectCase: { key: 'dev-chengdu', state: 'acknowledged' },
      },
      {
        say: 'Dazu answers within the deadline (only to the requesting office)',
        key: 'dev-dazu',
        eventType: 'EconomicCheckAnswered',
        expectCase: { key: 'dev-chengdu', state: 'answered' },
      },
    ],
  },
  {
    title: '殡葬 + 补贴 — 赵桂兰 (hukou Dazu, nursing subsidy paid by Dazu) dies while living in Chengdu',
    steps: [
      {
        say: 'Her nursing subsidy, applied for in Chengdu, is granted and paid by Dazu',
        key: 'dev-chengdu',
        eventType: 'SubsidyApplicationSubmitted',
        patch: (b) => {
          b.caseId = ZHAO_SUBSIDY;
          Object.assign(payloadOf(b), {
            applicant: ZHAO,
            certificateNumber: `${ZHAO.idNumber}41`,
            subsidyTypes: ['NURSING'],
            hardshipStatus: 'NONE',
            hardshipEvidenceRef: null,
            consentRef: 'CONSENT-510104-2024-0087',
          });
        },
        expectCase: { key: 'dev-dazu', state: 'submitted' },
      },
      {
        say: 'Dazu acknowledges',
        key: 'dev-dazu',
        eventType: 'SubsidyApplicationAcknowledged',
        patch: (b) => (b.caseId = ZHAO_SUBSIDY),
        expectCase: { key: 'dev-dazu', state: 'under-review' },
      },
      {
        say: 'Dazu approves 100.00 yuan a month',
        key: 'dev-dazu',
        eventType: 'SubsidyApproved',
        patch: (b) => {
          b.caseId = ZHAO_SUBSIDY;
          payloadOf(b).grants = [{ subsidyType: 'NURSING', monthlyAmount: '100.00' }];
        },
        expectCase: { key: 'dev-dazu', state: 'approved' },
      },
      {
        say: 'Dazu pays',
        key: 'dev-dazu',
        eventType: 'SubsidyPaymentStarted',
        patch: (b) => {
          b.caseId = ZHAO_SUBSIDY;
          payloadOf(b).payments = [{ subsidyType: 'NURSING', monthlyAmount: '100.00' }];
        },
        expectCase: { key: 'dev-dazu', state: 'paying' },
      },
      {
        say: 'She dies in a Chengdu hospital; Chengdu registers the death — the notice reaches Dazu and stops her subsidy from the next month',
        key: 'dev-chengdu',
        eventType: 'DeathRegistered',
        expectCases: [
          { key: 'dev-dazu', state: 'death-registered', view: 'full' },
          { key: 'dev-dazu', caseId: ZHAO_SUBSIDY, state: 'stopped', note: () => 'SubsidyStopped (reason DEATH, from 2026-12) published by Dazu, the payer' },
        ],
      },
      { say: 'Cremation in Chengdu', key: 'dev-chengdu', eventType: 'CremationCompleted', expectCase: { key: 'dev-dazu', state: 'cremated' } },
      { say: 'The ashes are kept in Chengdu for a week', key: 'dev-chengdu', eventType: 'AshesStored', expectCase: { key: 'dev-dazu', state: 'ashes-stored' } },
      { say: 'The ashes are returned to Dazu', key: 'dev-chengdu', eventType: 'AshesReturned', expectCase: { key: 'dev-dazu', state: 'ashes-returned' } },
      {
        say: 'Her son claims the funeral subsidy from Dazu',
        key: 'dev-chengdu',
        eventType: 'FuneralSubsidyClaimed',
        expectCase: { key: 'dev-dazu', state: 'subsidy-claimed' },
      },
      { say: 'Dazu grants 1150.00 yuan', key: 'dev-dazu', eventType: 'FuneralSubsidyGranted', expectCase: { key: 'dev-chengdu', state: 'subsidy-granted' } },
    ],
  },
  {
    title: '殡葬 — 张德福 (hukou Anyue) dies in Dazu; the remains go home to Anyue for cremation',
    steps: [
      {
        say: 'Dazu registers the death and tells Anyue, his hukou region',
        key: 'dev-dazu',
        eventType: 'DeathRegistered',
        patch: (b) => {
          b.caseId = 'FUN-500111-2026-000019';
          b.sourceRegion = '500111';
          b.targetRegion = '512021';
          Object.assign(payloadOf(b), {
            deceased: ZHANG,
            sex: 'MALE',
            birthDate: '1950-12-01',
            deathDate: '2026-11-24',
            placeOfDeath: { division: '500111', detail: '大足区龙岗街道五星大道 88 号' },
            medicalDeathCertificateNumber: '500111-2026-M002218',
            informant: { name: '张建华', idNumber: null, phone: '13981761234', relation: 'CHILD' },
          });
        },
        expectCase: { key: 'dev-anyue', state: 'death-registered' },
      },
      {
        say: 'Dazu asks Anyue to receive the remains',
        key: 'dev-dazu',
        eventType: 'RemainsTransportRequested',
        expectCase: { key: 'dev-anyue', state: 'transport-requested' },
      },
      {
        say: 'Anyue’s funeral home accepts',
        key: 'dev-anyue',
        eventType: 'RemainsTransportAccepted',
        expectCase: { key: 'dev-dazu', state: 'transport-accepted' },
      },
      {
        say: 'The remains are handed over in Anyue',
        key: 'dev-anyue',
        eventType: 'RemainsTransported',
        expectCase: { key: 'dev-dazu', state: 'remains-transported' },
      },
      {
        say: 'Cremation in Anyue',
        key: 'dev-anyue',
        eventType: 'CremationCompleted',
        patch: (b) => {
          b.caseId = 'FUN-500111-2026-000019';
          b.sourceRegion = '512021';
          b.targetRegion = '500111';
          Object.assign(payloadOf(b), {
            cremationCertificateNumber: 'HH-512021-2026-00412',
            funeralHome: { uscc: '12512021MB0C5529RM', name: '安岳县殡仪馆', division: '512021' },
          });
        },
        expectCase: { key: 'dev-dazu', state: 'cremated' },
      },
    ],
  },
  {
    title: 'Refusals — bad input at the gateway, and a duplicate application refused by Dazu',
    steps: [
      {
        say: 'Chengdu sends an application whose ID number has a wrong check character (…0023, should end in 2)',
        key: 'dev-chengdu',
        eventType: 'SubsidyApplicationSubmitted',
        patch: (b) => {
          b.caseId = 'SUB-510104-2026-000139';
          (payloadOf(b).applicant as Record<string, string>).idNumber = '500111196804170023';
        },
        expectStatus: 400,
      },
      {
        say: 'Chengdu sends a second application for 李秀英 while her first is being paid',
        key: 'dev-chengdu',
        eventType: 'SubsidyApplicationSubmitted',
        patch: (b) => {
          b.caseId = 'SUB-510104-2026-000140';
          payloadOf(b).applicant = LI;
        },
        expectCase: {
          key: 'dev-dazu',
          state: 'rejected',
          check: refusedWith('SubsidyRejected', 'DUPLICATE_APPLICATION'),
          note: (c) => `refused by Dazu: ${JSON.stringify((c.history ?? []).find((h) => h.eventType === 'SubsidyRejected')?.payload ?? {})}`,
        },
      },
    ],
  },
];
