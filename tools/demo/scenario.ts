import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@tongban/config';

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
  expectCase?: { key: string; state?: string; view?: 'full' | 'status'; check?: (c: CaseView) => string | undefined };
}

export interface Scenario {
  title: string;
  steps: Step[];
}

export interface EventBody {
  eventType: string;
  caseId: string;
  sourceRegion: string;
  targetRegion: string;
  occurredAt: string;
  sourceOffice?: string | null;
  payload: Record<string, unknown>;
  [k: string]: unknown;
}

export interface CaseView {
  caseId: string;
  state: string;
  view: 'full' | 'status';
  history?: Array<{ eventType: string; outcome: string; reason?: string | null; stateAfter: string }>;
  [k: string]: unknown;
}

export function exampleBody(eventType: string): EventBody {
  return JSON.parse(readFileSync(join(repoRoot(), 'contracts/examples', `${eventType}.json`), 'utf8')) as EventBody;
}
