import type { EventBody } from '../contracts/examples';

/** One request a municipal system sends, and what the demo expects to see afterwards. */
export interface Step {
  /** What happens, in a sentence a person can follow. */
  say: string;
  /** API key of the municipal system that acts. */
  key: string;
  /** contracts/examples/<eventType>.json is the starting body. */
  eventType: string;
  /** Changes to the example (case id is made unique per run by the runner). */
  patch?: (body: EventBody) => void;
  /** The gateway's expected answer (default 202). */
  expectStatus?: number;
  /** After the event, the case as the given key sees it must reach this state. */
  expectCase?: CaseExpectation;
  /** Several expectations (other cases too: a death notice stops a subsidy). */
  expectCases?: CaseExpectation[];
}

export interface CaseExpectation {
  key: string;
  /** Another case than the step's own (its base id, before the run suffix). */
  caseId?: string;
  state?: string;
  view?: 'full' | 'status' | 'participant';
  /** Returns a problem text, or '' / undefined when the case is as expected. */
  check?: (c: CaseView) => string | undefined;
  /** A line to print about the case once it is as expected. */
  note?: (c: CaseView) => string;
  showRefusals?: boolean;
}

export interface Scenario {
  title: string;
  steps: Step[];
}

export interface CaseView {
  caseId: string;
  state: string;
  view: 'full' | 'status' | 'participant';
  history?: Array<{ eventType: string; outcome?: string; reason?: string | null; stateAfter?: string; payload?: Record<string, unknown> }>;
  data?: Record<string, unknown>;
  [k: string]: unknown;
}
