import type { Hold, HoldResolution } from './hold-store.port';

export interface HeldMessageSummary {
  id: string;
  ref: string;
  eventId: string | null;
  eventType: string | null;
  status: string;
  waitsForRef: string;
  waitsForEventId: string | null;
  heldAt: Date;
}

export interface HoldDescription {
  hold: Hold;
  messages: HeldMessageSummary[];
}

/** What a release did (see `ReleaseResult.outcome`). */
export const RELEASE_OUTCOMES = ['released', 'reblocked', 'replay-published', 'busy'] as const;

export interface ReleaseResult {
  caseKey: string;
  resolution: HoldResolution;
  /** `released`: every held message processed, hold closed; `reblocked`: one of them failed and now blocks;
   *  `replay-published`: the blocker is back on its topic, the rest follow once it is applied; `busy`: someone else is releasing. */
  outcome: (typeof RELEASE_OUTCOMES)[number];
  applied: number;
  blockerRef?: string;
}

/** What an operator may do with the holds of a consumer (through the region node's internal HTTP API). */
export interface HoldAdministration {
  listHolds(o?: { includeClosed?: boolean; limit?: number }): Promise<Hold[]>;
  describeHold(caseKey: string): Promise<HoldDescription | undefined>;
  releaseHold(caseKey: string, resolution: 'replayed' | 'discarded', o?: { republish?: boolean }): Promise<ReleaseResult>;
}
