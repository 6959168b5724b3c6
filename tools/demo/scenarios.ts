import { Scenario } from './scenario';

/** The demo scenario of the domain brief, with fictional people (ID numbers have valid check digits). */
export const SCENARIOS: Scenario[] = [
  {
    title: '残疾人两项补贴 — 李秀英 (hukou Dazu) applies in Chengdu for the living and nursing subsidies',
    steps: [
      {
        say: 'Chengdu-Jinjiang accepts the application and hands it to Dazu, her hukou region',
        key: 'dev-chengdu',
        eventType: 'SubsidyApplicationSubmitted',
        expectCase: { key: 'dev-dazu', view: 'full' },
      },
    ],
  },
  {
    title: 'Bad input — an application whose ID number has a wrong check character',
    steps: [
      {
        say: 'Chengdu sends an application with ID 500111196804170023 (check character should be 2)',
        key: 'dev-chengdu',
        eventType: 'SubsidyApplicationSubmitted',
        patch: (b) => ((b.payload.applicant as Record<string, string>).idNumber = '500111196804170023'),
        expectStatus: 400,
      },
    ],
  },
];
